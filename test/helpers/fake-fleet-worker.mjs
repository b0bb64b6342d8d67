// A stand-in for the fleet pool's worker (test/fleet-pool.test.ts): it speaks the pool's protocol but does no
// analysis. It says it is ready, answers tasks one at a time in the order sent, and with FAKE_DIE_AT=N in its
// environment exits with status 3 when it starts its Nth task (as a worker that crashed or ran out of memory).
const dieAt = Number(process.env.FAKE_DIE_AT ?? 0);
const queue = [];
let busy = false;
let started = 0;
function next() {
  if (busy || queue.length === 0) return;
  busy = true;
  const { i, task } = queue.shift();
  started++;
  setTimeout(() => {
    if (started === dieAt) process.exit(3);
    process.send({ i, result: { file: task.file, warnings: [], packets: 1, sessions: 0, text: `worker ${process.pid}` } });
    busy = false;
    next();
  }, 2);
}
process.on('message', (m) => { queue.push(m); next(); });
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, i: -1 });
