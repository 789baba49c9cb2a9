// Tiny network programs for chaos tests, run inside a node's namespace with this Node binary:
// a TCP echo server, a TCP probe that wants its bytes echoed back, and a UDP receiver and sender
// (UDP shows a one-way partition's open direction, which TCP cannot: its handshake needs both).
import type { ChildProcess } from 'node:child_process';
import type { ChaosNet } from '../../src/chaos/index.js';

export const ECHO_PORT = 7000;
export const UDP_PORT = 7001;
/** Deadline for a process to say it is ready; generous for a loaded machine. */
export const READY_MS_MAX = 20_000;

const ECHO_SERVER = `
const s = require('net').createServer((c) => { c.on('data', (d) => c.write(d)); c.on('error', () => {}); });
s.listen(Number(process.argv[1]), '0.0.0.0', () => console.log('ready ' + process.pid));`;

// Exit 0 "ok" once "ping" comes back; exit 2 "timeout" if it does not within the given ms.
const TCP_PROBE = `
const [host, port, ms] = process.argv.slice(1);
setTimeout(() => { console.log('timeout'); process.exit(2); }, Number(ms));
const c = require('net').connect(Number(port), host);
let got = '';
c.on('connect', () => c.write('ping'));
c.on('data', (d) => { got += d; if (got.includes('ping')) { console.log('ok'); process.exit(0); } });
c.on('error', (e) => { console.log('error ' + e.code); process.exit(3); });`;

const UDP_RECEIVER = `
const [port, ms] = process.argv.slice(1);
setTimeout(() => { console.log('timeout'); process.exit(2); }, Number(ms));
const s = require('dgram').createSocket('udp4');
s.on('message', () => { console.log('ok'); process.exit(0); });
s.bind(Number(port), () => console.log('ready'));`;

// Sends a bounded number of datagrams, paced so that one sent after a receiver is ready arrives.
const UDP_SENDER = `
const [host, port, count] = process.argv.slice(1);
const s = require('dgram').createSocket('udp4');
let n = 0;
const timer = setInterval(() => {
  s.send('x', Number(port), host, () => {});
  if (++n >= Number(count)) { clearInterval(timer); s.close(); }
}, 50);`;

/** Resolves with the first stdout line matching `pattern`; rejects on exit or after `ms`. */
export function waitForLine(child: ChildProcess, pattern: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const done = (error?: Error, line?: string) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(line ?? '');
    };
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) done(undefined, line);
    };
    const onExit = (code: number | null) => done(new Error(`process exited (${code}) before printing ${pattern}: ${buffered}`));
    const timer = setTimeout(() => done(new Error(`no line matching ${pattern} within ${ms} ms: ${buffered}`)), ms);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Resolves with the last stdout line and exit code of `child`. */
function outcome(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code, signal) => resolve(out.trim().split('\n').pop() || `exit ${code ?? signal}`));
  });
}

export function startEchoServer(net: ChaosNet, id: number): ChildProcess {
  return net.spawn(id, process.execPath, ['-e', ECHO_SERVER, String(ECHO_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** 'ok' if node `from` gets an echo from node `to`'s server within `ms`, else 'timeout' or 'error ...'. */
export function tcpProbe(net: ChaosNet, from: number, to: number, ms: number): Promise<string> {
  const args = ['-e', TCP_PROBE, net.node(to).address, String(ECHO_PORT), String(ms)];
  // The spawn timeout only guards against a probe that hangs on its own; it never decides a result.
  return outcome(net.spawn(from, process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], timeout: ms + READY_MS_MAX }));
}

/** 'ok' if a datagram from node `from` reaches node `to` within `ms`, else 'timeout'. */
export async function udpProbe(net: ChaosNet, from: number, to: number, ms: number): Promise<string> {
  const receiver = net.spawn(to, process.execPath, ['-e', UDP_RECEIVER, String(UDP_PORT), String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const result = outcome(receiver);
  await waitForLine(receiver, /^ready/, READY_MS_MAX);
  const count = Math.ceil(ms / 50);
  const sender = net.spawn(from, process.execPath, ['-e', UDP_SENDER, net.node(to).address, String(UDP_PORT), String(count)], { stdio: 'ignore' });
  try {
    return await result;
  } finally {
    if (sender.exitCode === null && sender.signalCode === null) sender.kill('SIGKILL');
  }
}
