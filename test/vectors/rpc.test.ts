import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { workerClient } from '../../src/vectors/rpc.ts';

// A worker answering every request with its payload, in the protocol serveRequests speaks.
const ECHO = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, ok: m.op !== 'fail', result: m.payload, error: 'asked to fail' }));
`;

function counted() {
  const spawned: Worker[] = [];
  const spawn = () => {
    const worker = new Worker(ECHO, { eval: true });
    spawned.push(worker);
    return worker;
  };
  return { spawned, spawn };
}

describe('workerClient', () => {
  it('starts its thread on the first call and keeps it for the next ones', async () => {
    const { spawned, spawn } = counted();
    const client = workerClient(spawn);
    expect(spawned).toHaveLength(0);
    expect(await client.call('echo', { n: 1 })).toEqual({ n: 1 });
    const [a, b] = await Promise.all([client.call('echo', { n: 2 }), client.call('echo', { n: 3 })]);
    expect([a, b]).toEqual([{ n: 2 }, { n: 3 }]);
    await expect(client.call('fail')).rejects.toThrow('asked to fail');
    expect(spawned).toHaveLength(1);
    await client.close();
    await expect(client.call('echo')).rejects.toThrow('worker thread is closed');
    expect(spawned).toHaveLength(1);
  });

  it('rejects a call whose thread cannot start, and starts one on a later call', async () => {
    const { spawned, spawn } = counted();
    let fails = true;
    const client = workerClient(() => {
      if (fails) throw new Error('no thread to spare');
      return spawn();
    });
    const call = client.call('echo', { n: 1 });
    await expect(call).rejects.toThrow('no thread to spare');
    fails = false;
    expect(await client.call('echo', { n: 2 })).toEqual({ n: 2 });
    expect(spawned).toHaveLength(1);
    await client.close();
  });

  it('ends its thread on stop, failing calls under way, and starts a new one on the next call', async () => {
    const { spawned, spawn } = counted();
    const client = workerClient(spawn);
    await client.stop();
    expect(spawned).toHaveLength(0);
    expect(await client.call('echo', { n: 1 })).toEqual({ n: 1 });
    const exited = new Promise((resolve) => spawned[0].once('exit', resolve));
    // Its rejection is awaited from the start: stop() rejects it before the thread has ended.
    const underWay = expect(client.call('echo', { n: 2 })).rejects.toThrow('worker thread stopped');
    await client.stop();
    await underWay;
    await exited;
    expect(await client.call('echo', { n: 3 })).toEqual({ n: 3 });
    expect(spawned).toHaveLength(2);
    await client.close();
    await expect(client.call('echo')).rejects.toThrow('worker thread is closed');
  });

  it('never starts a thread when nothing is asked before it closes', async () => {
    const { spawned, spawn } = counted();
    const client = workerClient(spawn);
    await client.close();
    await expect(client.call('echo', { n: 1 })).rejects.toThrow('worker thread is closed');
    expect(spawned).toHaveLength(0);
  });
});
