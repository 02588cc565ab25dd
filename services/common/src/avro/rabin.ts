/**
 * CRC-64-AVRO (Rabin) fingerprint of a schema's Parsing Canonical Form, as the
 * Avro specification defines it for single-object encoding.
 */
const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE: bigint[] = (() => {
  const t: bigint[] = new Array(256);
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
    t[i] = fp & MASK;
  }
  return t;
})();

/** Fingerprint as an unsigned 64-bit bigint. */
export function rabinFingerprint(canonicalForm: string): bigint {
  let fp = EMPTY;
  for (const byte of Buffer.from(canonicalForm, 'utf8')) {
    fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(byte)) & 0xffn)];
  }
  return fp;
}

/** The 8 little-endian bytes that follow the 0xC3 0x01 marker in a single-object message. */
export function fingerprintBytes(fp: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(fp);
  return b;
}
