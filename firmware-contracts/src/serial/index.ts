export * from "./bodies";
export * from "./frame";
export * from "./decoder";
export { cobsEncode, cobsDecode, cobsMaxEncodedLength } from "./cobs";
export { crc32, CRC_NAME, CRC_CHECK, CRC_BYTES } from "./crc32";
