export function buildContracts(): Promise<void>;
