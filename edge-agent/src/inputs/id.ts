/** The default input id: "<type>:<path>" for serial inputs, "<type>" otherwise. */
export function defaultInputId(cfg: {
  type: string;
  id?: string | undefined;
  path?: string;
}): string {
  return cfg.id ?? (cfg.path ? `${cfg.type}:${cfg.path}` : cfg.type);
}
