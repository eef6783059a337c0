// Closing a connection whose upload is still arriving, so that the client can read the answer
// (a 413): what nginx calls a lingering close. node:http destroys a connection as soon as a
// `connection: close` answer is handed to the kernel; with upload bytes still unread, the kernel
// then answers them with a reset, which also throws away the answer the client has not read yet
// (it sees EPIPE or ECONNRESET instead of the 413). So the answer goes out with a FIN, the rest of
// the upload is read and dropped (node:http's parser discards the body of an answered request)
// until it ends, and only then is the socket closed; bounded in time and bytes, so a client that
// never stops sending is closed all the same.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The longest a connection lingers after its answer. */
export const LINGER_MS = 2000;
/** The most upload bytes read and dropped while it lingers. */
export const LINGER_BYTES = 128 * 1024 * 1024;
const CHECK_MS = 100;

const lingering = new WeakSet<object>();

/** A connection that is closing after a refusal: a request still parsed from it is not served. */
export function isLingering(socket: object): boolean {
  return lingering.has(socket);
}

/** Makes the connection of `res` linger after `res`, which must carry `connection: close`. */
export function lingerAfter(res: ServerResponse): void {
  const socket = res.socket as Socket | null;
  const req = res.req;
  // Without a socket (an answer queued behind a pipelined one) node:http closes as usual.
  if (!socket || lingering.has(socket)) return;
  lingering.add(socket);
  // node:http calls destroySoon() once the answer is written (resOnFinish); nothing else does.
  socket.destroySoon = () => {
    socket.end();
    const startBytes = socket.bytesRead;
    const started = performance.now();
    // The bound, whatever the client does: keeps sending, or stops reading so the answer never flushes.
    const check = setInterval(() => {
      if (performance.now() - started >= LINGER_MS || socket.bytesRead - startBytes > LINGER_BYTES) socket.destroy();
    }, CHECK_MS).unref();
    socket.once('close', () => clearInterval(check));
    // The upload ended: nothing is left unread, so closing now resets nothing.
    if (req.complete) closeWhenFlushed(socket);
    else req.once('end', () => closeWhenFlushed(socket));
  };
}

function closeWhenFlushed(socket: Socket): void {
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}
