export * from "./topics";
export * from "./cbor";
export * from "./payloads/schemas";
export * from "./payloads/codec";
export * from "./serial";
export * from "./payloads/peek";
