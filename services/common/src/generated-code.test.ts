/**
 * Compiled readers and writers of one schema share their generated code (so
 * V8 warms it once per process) but never their state: buffers, positions
 * and pooled objects stay per instance.
 */
import { describe, expect, it } from 'vitest';
import { AvroCodec } from './avro/codec.js';
import { compileReader } from './avro/compiled-reader.js';
import { compileAppender } from './avro/compiled-writer.js';
import { generatedFunction, generatedFunctionCount } from './generated-code.js';
import { SCHEMA_NAMES, type PacketBatch } from './records.js';
import { samplePacketBatch } from './testing/sample-records.js';

describe('generated code', () => {
  it('is compiled once per distinct parameter list and body', () => {
    const f = generatedFunction<(a: number) => number>(['a'], 'return a + 1;');
    expect(generatedFunction(['a'], 'return a + 1;')).toBe(f);
    expect(generatedFunction(['a'], 'return a + 2;')).not.toBe(f);
    expect(generatedFunction(['b'], 'return a + 1;')).not.toBe(f);
    expect(f(1)).toBe(2);
  });

  it('a second reader of a schema reuses the code and keeps its own pooled objects', () => {
    const codec = AvroCodec.forStreamLens();
    const type = codec.type(SCHEMA_NAMES.packetBatch);
    const first = compileReader<PacketBatch>(type, { reuse: true })!;
    const made = generatedFunctionCount();
    const second = compileReader<PacketBatch>(type, { reuse: true })!;
    expect(generatedFunctionCount()).toBe(made);

    const a = type.toBuffer(samplePacketBatch(5));
    const b = type.toBuffer({ ...samplePacketBatch(2), agent_id: 'other-agent' });
    const fromFirst = first.read(a);
    const fromSecond = second.read(b);
    expect(fromSecond).not.toBe(fromFirst);
    // Each reader's pooled objects are its own: reading with one leaves the other's result alone.
    expect(fromFirst).toEqual(type.fromBuffer(a));
    expect(fromSecond).toEqual(type.fromBuffer(b));
  });

  it('two appenders of a record type write into their own buffers', () => {
    const codec = AvroCodec.forStreamLens();
    const batchType = codec.type(SCHEMA_NAMES.packetBatch);
    const recordType = (batchType as unknown as { fields: { name: string; type: { itemsType: unknown } }[] })
      .fields.find((f) => f.name === 'records')!.type.itemsType as Parameters<typeof compileAppender>[0];
    const one = compileAppender(recordType)!;
    const made = generatedFunctionCount();
    const two = compileAppender(recordType)!;
    expect(generatedFunctionCount()).toBe(made);

    const [r0, r1, r2] = samplePacketBatch(3).records;
    one.append(r0);
    two.append(r1);
    one.append(r2);
    const none = Buffer.alloc(0);
    expect(one.take(none, none)).toEqual(Buffer.concat([recordType.toBuffer(r0), recordType.toBuffer(r2)]));
    expect(two.take(none, none)).toEqual(recordType.toBuffer(r1));
  });
});
