// The comparison arm of the whoami benchmark: a bare node:http server doing the same work as whoami for
// `/bench` ("1") and `/` (the same echo text, from the same formatter), without express.
import { createServer } from 'node:http';
import { formatWhoamiText, goRequest, identityFromEnv } from '@livelab/whoami-core';

const identity = identityFromEnv(undefined);
const port = Number(process.argv[2] ?? 18090);
createServer((req, res) => {
  if (req.url === '/bench') {
    res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'keep-alive', 'Content-Length': '1' });
    res.end('1');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const r = goRequest(req);
    if (!r) {
      res.writeHead(400).end();
      return;
    }
    const body = formatWhoamiText(identity, r, req.socket, Buffer.concat(chunks));
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length) });
    res.end(body);
  });
}).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
