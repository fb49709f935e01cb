export { Broker, type BrokerDeps, type BoundPorts } from "./broker.ts";
export {
  parseConfig,
  parseConfigYaml,
  loadConfigFile,
  configSchema,
  ConfigError,
  type BrokerConfig,
  type BrokerConfigInput,
  type Limits,
} from "./config.ts";
export { Registry, RegistryError, type NewIdentity } from "./registry/registry.ts";
export { FileRegistryStore } from "./registry/file-store.ts";
export { ROLES, type Role, type IdentityRecord, type RegistryStore, type RegistryData } from "./registry/types.ts";
export { hashSecret, verifySecret, generateSecret, DEFAULT_SCRYPT, type ScryptParams } from "./registry/secrets.ts";
export { compileAcl, type ClientAcl, type PublishDenial } from "./acl/acl.ts";
export { POLICIES, RETAINED_KINDS, type RolePolicy } from "./acl/policy.ts";
export { filterCovers } from "./acl/filter.ts";
export { forwardOnce, clearOnlyById } from "./durability/forward-once.ts";
