// Live log lines for subflow FIN and RST (the engine's FIN and RST events), without a capture.
import { describe, it, expect } from 'vitest';
import { eventText } from '../live/log.js';
import type { Session } from '../analyze/model.js';

describe('live log: subflow FIN and RST', () => {
  const session = (closed: string): Session => ({ subflows: [{ closed }, { closed }] } as unknown as Session);
  it('a FIN names who closes which subflow, and says when both sides have', () => {
    expect(eventText(session('open'), { n: 7, time: 0, type: 'FIN', subflow: 1, dir: 'c2s' })).toBe('client closes subflow 1 (FIN)');
    expect(eventText(session('FIN'), { n: 8, time: 0, type: 'FIN', subflow: 1, dir: 's2c' })).toBe('server closes subflow 1 (FIN): both sides closed');
  });
  it('an RST names who resets which subflow', () => {
    expect(eventText(session('RST'), { n: 9, time: 0, type: 'RST', subflow: 0, dir: 's2c' })).toBe('server resets subflow 0 (RST)');
  });
});
