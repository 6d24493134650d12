// Init-container helper: wait until host:port accepts a TCP connection, at most <timeout> seconds, then exit 0
// (connected) or 1 (gave up: the pod restarts and tries again). Runs with the image's own node — no busybox, no
// other registry. Usage: node /usr/local/lib/livelab/wait-for-tcp.mjs <host> <port> <timeout-seconds>
import { connect } from 'node:net';

const [host, portText, timeoutText] = process.argv.slice(2);
const port = Number(portText);
const timeoutS = Number(timeoutText);
if (!host || !Number.isInteger(port) || !(timeoutS > 0)) {
  console.error('usage: wait-for-tcp.mjs <host> <port> <timeout-seconds>');
  process.exit(2);
}
const deadline = Date.now() + timeoutS * 1000;
const attempt = () =>
  new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    const done = (ok, why) => {
      socket.destroy();
      resolve([ok, why]);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false, 'timeout'));
    socket.once('error', (err) => done(false, err.code ?? err.message));
  });
for (let n = 1; ; n++) {
  const [ok, why] = await attempt();
  if (ok) {
    console.log(`wait-for-tcp: ${host}:${port} answers (attempt ${n})`);
    process.exit(0);
  }
  if (Date.now() >= deadline) {
    console.error(`wait-for-tcp: ${host}:${port} did not answer within ${timeoutS} s (${why}); giving up`);
    process.exit(1);
  }
  console.log(`wait-for-tcp: waiting for ${host}:${port} (${why})`);
  await new Promise((r) => setTimeout(r, 2000));
}
