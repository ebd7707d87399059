/**
 * Entry of a `golden` worker thread (see golden-worker.ts): compute the job it was given and
 * post the document back. Imported by bin.ts only in such a thread.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { GOLDEN_WORKER_ARG } from './golden-worker.js';

export async function runGoldenWorker(): Promise<void> {
  const job = workerData && typeof workerData === 'object' ? (workerData as { prelaunchGoldenJob?: unknown }).prelaunchGoldenJob : undefined;
  if (isMainThread || !job) {
    process.stderr.write(`error: ${GOLDEN_WORKER_ARG} is internal to prelaunch golden\n`);
    process.exitCode = 2;
    return;
  }
  const g = await import('./commands/golden.js');
  await g.goldenWorkerMain(job as Parameters<typeof g.goldenWorkerMain>[0], (m) => parentPort!.postMessage(m));
}
