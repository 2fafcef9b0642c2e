/**
 * A stub OTLP/HTTP receiver for the memory benchmark: it listens on 127.0.0.1
 * on a port the OS picks, reads and discards every request body, and responds
 * with 200 and an empty protobuf body (an ExportTraceServiceResponse without
 * partial success). It runs as its own process so that its sockets and buffers do not
 * show up in the measured process.
 *
 * Prints `listening <port>` when ready. On SIGTERM or SIGINT it prints one JSON
 * line with the requests and body bytes it received, then exits.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let requests = 0;
let bodyBytes = 0;

const server = createServer((request, response) => {
  request.on('data', (chunk: Buffer) => {
    bodyBytes += chunk.length;
  });
  request.on('end', () => {
    requests += 1;
    response.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
    response.end();
  });
});

server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});

const stop = () => {
  console.log(JSON.stringify({ requests, bodyBytes }));
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
