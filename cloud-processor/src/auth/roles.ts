/**
 * Who may do what on the operator API: the one table of roles and their permissions.
 * Every route names the permission it needs (api/http.ts); nothing else decides access.
 */
export const ROLES = ["operator", "node-red", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ["alerts:read", "alerts:ack", "rules:read", "rules:validate", "rules:write", "metrics:read"] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  // Everything.
  operator: new Set(PERMISSIONS),
  // What the Node-RED nodes and the operator dashboard use: list and acknowledge alerts, read rules.
  "node-red": new Set<Permission>(["alerts:read", "alerts:ack", "rules:read"]),
  // Read only.
  viewer: new Set<Permission>(["alerts:read", "rules:read", "metrics:read"]),
};

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

export function may(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}
