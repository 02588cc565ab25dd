import { describe, expect, it } from 'vitest';
import { emptyPacketRecord, type PacketRecord } from '@streamlens/common';
import { castOf } from './cast.js';
import { ip6 } from '../test-support/frames.js';

const rec = (dst: number[] | Buffer, mac = 0x0011_2233_4455): PacketRecord => ({ ...emptyPacketRecord(), dst_ip: Buffer.from(dst), eth_dst: mac });

describe('castOf', () => {
  it('IPv4 multicast and limited broadcast by address', () => {
    expect(castOf(rec([224, 0, 1, 129]))).toBe('multicast');
    expect(castOf(rec([239, 255, 255, 250]))).toBe('multicast');
    expect(castOf(rec([235, 0, 0, 1]))).toBe('multicast');
    expect(castOf(rec([255, 255, 255, 255]))).toBe('broadcast');
    expect(castOf(rec([223, 255, 255, 255]))).toBe('unicast');
    expect(castOf(rec([240, 0, 0, 1]))).toBe('unicast');
  });

  it('a subnet-directed broadcast is caught by the all-ones MAC', () => {
    expect(castOf(rec([192, 168, 1, 255], 0xffff_ffff_ffff))).toBe('broadcast');
    expect(castOf(rec([192, 168, 1, 255]))).toBe('unicast');
  });

  it('IPv6 ff00::/8 is multicast', () => {
    expect(castOf(rec(ip6('ff02::1:2'), 0x3333_0001_0002))).toBe('multicast');
    expect(castOf(rec(ip6('2001:db8::1')))).toBe('unicast');
  });

  it('non-IP frames by MAC: all ones broadcast, group bit multicast', () => {
    expect(castOf(rec([], 0xffff_ffff_ffff))).toBe('broadcast');
    expect(castOf(rec([], 0x011b_1900_0000))).toBe('multicast'); // PTP default
    expect(castOf(rec([], 0x0180_c200_000e))).toBe('multicast'); // gPTP / LLDP
    expect(castOf(rec([], 0x0011_2233_4455))).toBe('unicast');
    expect(castOf(rec([], 0))).toBe('unicast'); // no link-layer address (raw IP, cooked capture)
    expect(castOf(rec([], 0xfeff_ffff_ffff))).toBe('unicast');
  });
});
