// The diagnosis algorithms on crafted packet sequences (observations filled by hand): what no capture shows
// in isolation. Times in seconds, sequence numbers relative (first payload byte 1), data offsets from 0.
import { describe, expect, it } from 'vitest';
import { newObservation, type PacketObservation } from '../analyze/diagnosis/observation.js';
import { SessionDiagnoser } from '../analyze/diagnosis/session-diagnoser.js';
import { summarize } from '../analyze/diagnosis/summarize.js';

const ACK = 0x10;
const labels = [{ id: 0, client: '10.0.1.1:1000', backup: false }, { id: 1, client: '10.0.2.1:1001', backup: false }];

class Feed {
  readonly d = new SessionDiagnoser(0);
  private n = 0;
  /** One packet; unspecified fields are "absent". */
  send(p: Partial<PacketObservation>): number {
    const o = { ...newObservation(), flags: ACK, win: 1 << 20, ...p, n: ++this.n };
    this.d.observe(o);
    return o.n;
  }
  /** c2s data on `subflow`: relative subflow seq, data offset, length. */
  data(t: number, subflow: number, seq: number, dataStart: number, len: number): number {
    return this.send({ time: t, subflow, dir: 0, seq, len, dataStart });
  }
  /** The server's ACK on `subflow`: subflow ack and DATA_ACK (data offsets). */
  ack(t: number, subflow: number, ack: number, dataAck: number, win = 1 << 20): number {
    return this.send({ time: t, subflow, dir: 1, seq: 1, ack, dataAck, win });
  }
  result() {
    return summarize(this.d, labels);
  }
}

describe('per-subflow state', () => {
  it("RTT by Karn's rule without timestamps: one sample per round, none across a retransmission", () => {
    const f = new Feed();
    f.data(0, 0, 1, 0, 1000);
    f.ack(0.1, 0, 1001, 1000); // 100 ms, the receiver side's half only (it sends no data)
    f.data(0.2, 0, 1001, 1000, 1000);
    f.data(0.5, 0, 1001, 1000, 1000); // retransmitted: Karn drops the sample
    f.ack(0.55, 0, 2001, 2000);
    const r = f.result();
    expect(r.subflows[0].rtt).toEqual({ samples: 1, minMs: 100, p50Ms: 100, p95Ms: 100 });
  });

  it('RTT by timestamps adds both sides\' halves', () => {
    const f = new Feed();
    f.send({ time: 0, subflow: 0, dir: 0, seq: 1, len: 100, dataStart: 0, tsval: 10, tsecr: 5 });
    f.send({ time: 0.03, subflow: 0, dir: 1, seq: 1, len: 100, dataStart: 0, ack: 101, tsval: 50, tsecr: 10 }); // 30 ms half
    f.send({ time: 0.032, subflow: 0, dir: 0, seq: 101, len: 100, dataStart: 100, ack: 101, tsval: 12, tsecr: 50 }); // 2 ms half
    const r = f.result();
    expect(r.subflows[0].rtt!.samples).toBe(1);
    expect(r.subflows[0].rtt!.p50Ms).toBeCloseTo(32, 3);
  });

  it('a retransmission after a silent RTO is a timeout; one after dup ACKs is fast', () => {
    const f = new Feed();
    f.data(0, 0, 1, 0, 1000);
    f.data(0.001, 0, 1001, 1000, 1000);
    f.ack(0.05, 0, 1, 0); // dup ACK (nothing acked)
    f.data(0.06, 0, 1, 0, 1000); // fast retransmit: the receiver spoke 10 ms ago
    f.ack(0.1, 0, 2001, 2000);
    f.data(0.2, 0, 2001, 2000, 1000);
    f.data(0.8, 0, 2001, 2000, 1000); // 0.7 s without a word from the receiver
    f.ack(0.9, 0, 3001, 3000);
    const s = f.result().subflows[0];
    expect(s.lossEvents).toBe(2);
    expect(s.timeouts).toBe(1);
    expect(s.failed).toBeNull();
  });
});

describe('data-level timeline', () => {
  it('sending, then idle, then sending: shares by time, no stall', () => {
    const f = new Feed();
    f.data(0, 0, 1, 0, 1000);
    f.ack(0.1, 0, 1001, 1000);
    f.data(1.1, 0, 1001, 1000, 1000); // idle 1.0 s in between
    f.ack(1.2, 0, 2001, 2000);
    const c2s = f.result().diagnosis.c2s!;
    expect(c2s.activeSeconds).toBeCloseTo(1.2, 6);
    expect(c2s.shares.senderIdle).toBeCloseTo(1 / 1.2, 3);
    expect(c2s.shares.sending).toBeCloseTo(0.2 / 1.2, 3);
    expect(c2s.stalls).toEqual([]);
    expect(c2s.goodputBps).toBe(Math.round((2000 * 8) / 1.2));
  });

  it('window full: DATA_ACK + window reached by what is in flight is receive-window-limited', () => {
    const f = new Feed();
    f.ack(0, 0, 1, 0, 2000); // the window: 2000 bytes from DATA_ACK 0
    for (let k = 0; k < 10; k++) {
      const t = k * 0.1;
      f.data(t, 0, 1 + k * 2000, k * 2000, 1000);
      f.data(t + 0.001, 0, 1001 + k * 2000, k * 2000 + 1000, 1000);
      f.ack(t + 0.1, 0, 1 + (k + 1) * 2000, (k + 1) * 2000, 2000);
    }
    const r = f.result();
    expect(r.diagnosis.c2s!.shares.receiveWindowLimited).toBeGreaterThan(0.9);
    expect(r.diagnosis.findings.map((x) => x.code)).toContain('RECEIVE_WINDOW_LIMITED');
  });

  it('head-of-line: data behind a segment on a slow subflow waits, blamed on that subflow', () => {
    const f = new Feed();
    f.send({ time: 0, subflow: 0, dir: 0, flags: 0x02, seq: 0 });
    f.send({ time: 0.01, subflow: 0, dir: 1, flags: 0x12, seq: 0, ack: 1 });
    f.send({ time: 0.01, subflow: 0, dir: 0, seq: 1, ack: 1 }); // handshake RTT 10 ms
    f.send({ time: 0, subflow: 1, dir: 0, flags: 0x02, seq: 0 });
    f.send({ time: 0.3, subflow: 1, dir: 1, flags: 0x12, seq: 0, ack: 1 });
    f.send({ time: 0.3, subflow: 1, dir: 0, seq: 1, ack: 1 }); // 300 ms
    let t = 0.4;
    let off = 0;
    const seq = [1, 1];
    for (let round = 0; round < 5; round++) {
      // 1000 bytes on the slow subflow, then 9000 on the fast one, which the receiver holds until the slow one arrives.
      f.data(t, 1, seq[1], off, 1000);
      const slowEnd = off + 1000;
      seq[1] += 1000;
      for (let k = 0; k < 9; k++) { f.data(t + 0.001 * (k + 1), 0, seq[0], slowEnd + k * 1000, 1000); seq[0] += 1000; }
      f.ack(t + 0.01, 0, seq[0], off); // fast subflow acked, DATA_ACK still before the slow segment
      off += 10000;
      f.ack(t + 0.3, 1, seq[1], off); // the slow segment arrives: DATA_ACK jumps
      t += 0.31;
    }
    const r = f.result();
    const c2s = r.diagnosis.c2s!;
    expect(c2s.headOfLine.blockedBy[0].subflow).toBe(1);
    expect(c2s.headOfLine.p95Ms).toBeCloseTo(290, 0);
    expect(c2s.stalls.length).toBe(5);
    for (const s of c2s.stalls) { expect(s.cause).toBe('head-of-line'); expect(s.subflow).toBe(1); }
    const hol = r.diagnosis.findings.find((x) => x.code === 'HEAD_OF_LINE_BLOCKING')!;
    expect(hol.subflow).toBe(1);
  });

  it('path failure: a silent subflow times out, its data is reinjected and delivered elsewhere', () => {
    const f = new Feed();
    f.data(0, 0, 1, 0, 1000);
    f.data(0, 1, 1, 1000, 1000);
    const progress = f.ack(0.05, 1, 1001, 0); // subflow 1's last ACK progress
    f.ack(0.05, 0, 1001, 2000 - 1000);
    f.data(0.06, 1, 1001, 2000, 1000); // then subflow 1 goes silent
    f.data(0.07, 0, 1001, 3000, 1000);
    f.ack(0.08, 0, 2001, 2000); // DATA_ACK waits at 2000 (subflow 1's segment)
    f.data(0.4, 1, 1001, 2000, 1000); // RTO retransmissions, no answer
    f.data(1.0, 1, 1001, 2000, 1000);
    const reinj = f.data(1.05, 0, 2001, 2000, 1000); // reinjected on subflow 0
    const resumed = f.ack(1.1, 0, 3001, 4000);
    const r = f.result();
    const h = r.diagnosis.handovers[0];
    expect(h).toMatchObject({ dir: 'c2s', from: 1, to: 0, failedAt: 0.05, resumedAt: 1.1, trigger: 'timeout' });
    expect(h.latencyMs).toBeCloseTo(1050, 3);
    expect(h.packets).toContain(progress);
    expect(h.packets).toContain(resumed);
    expect(r.subflows[1].failed).toBe(0.05);
    expect(r.subflows[1].timeouts).toBe(2);
    const codes = r.diagnosis.findings.map((x) => x.code);
    expect(codes).toContain('SUBFLOW_FAILED');
    expect(codes).toContain('HANDOVER_DELAY');
    const stall = r.diagnosis.c2s!.stalls[0];
    expect(stall).toMatchObject({ cause: 'path-failure', subflow: 1 });
    expect(stall.packets).toContain(reinj);
    expect(r.diagnosis.verdict).toContain('subflow 1 (10.0.2.1:1001) failed at 0.05 s, handover to subflow 0 took 1.05 s (timeout)');
  });

  it('a reinjection of bytes below DATA_ACK is waste', () => {
    const f = new Feed();
    f.data(0, 0, 1, 0, 1000);
    f.ack(0.05, 0, 1001, 1000);
    f.data(0.06, 1, 1, 0, 1000); // subflow 1 sends bytes the receiver already acknowledged
    const c2s = f.result().diagnosis.c2s!;
    expect(c2s.reinjectedBytes).toBe(1000);
    expect(c2s.wastedReinjectedBytes).toBe(1000);
  });

  it('a loss repaired on the same subflow is loss recovery, not a failure', () => {
    const f = new Feed();
    f.data(0, 0, 1, 0, 1000);
    f.data(0.001, 0, 1001, 1000, 1000);
    f.ack(0.05, 0, 1, 0);
    f.data(0.3, 0, 1, 0, 1000); // RTO retransmission
    f.ack(0.35, 0, 2001, 2000);
    const r = f.result();
    expect(r.diagnosis.c2s!.stalls[0]).toMatchObject({ cause: 'loss-recovery', subflow: 0 });
    expect(r.diagnosis.handovers).toEqual([]);
    expect(r.subflows[0].failed).toBeNull();
  });

  it('bytes acknowledged on their subflow but never by DATA_ACK: a stall of unknown cause, the lag named', () => {
    const f = new Feed();
    f.data(0, 0, 1, 0, 1000);
    f.ack(0.01, 0, 1001, 0); // the subflow has the bytes; DATA_ACK stays at 0
    f.ack(0.5, 0, 1001, 1000); // nothing was sent again, yet DATA_ACK moves 490 ms later
    const r = f.result();
    expect(r.diagnosis.c2s!.stalls[0]).toMatchObject({ cause: 'unknown', subflow: 0 });
    const stalled = r.diagnosis.findings.find((x) => x.code === 'DATA_STALLED')!;
    expect(stalled.message).toContain("DATA_ACK did not cover them: the receiver's data-level acknowledgment lagged, nothing was lost on the path");
  });

  it('the same bytes sent again before DATA_ACK covers them: loss recovery, lost at the receiver\'s data level', () => {
    const f = new Feed();
    f.data(0, 0, 1, 0, 1000);
    f.ack(0.01, 0, 1001, 0);
    f.data(0.4, 0, 1001, 0, 1000); // the sender's MPTCP retransmission: the same data offset, new subflow bytes
    f.ack(0.41, 0, 2001, 1000);
    const r = f.result();
    expect(r.diagnosis.c2s!.stalls[0]).toMatchObject({ cause: 'loss-recovery', subflow: 0 });
    const stalled = r.diagnosis.findings.find((x) => x.code === 'DATA_STALLED')!;
    expect(stalled.message).toContain("until they were sent again: lost at the receiver's data level, not on the path");
  });
});
