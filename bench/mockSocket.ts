// The bench mock's Responses WebSocket (GET …/v1/responses with Upgrade: websocket): each
// `response.create` frame is answered as the HTTP stream is in "sse" mode: the first event at once,
// the rest together one tick later, one event a text frame. Other frames are ignored.
import type http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { responsesFrames } from './responses.js';

const CREATE = Buffer.from('"response.create"');

export function serveResponsesSocket(server: http.Server, events: number): void {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (!req.url?.includes('/v1/responses')) return void socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    wss.handleUpgrade(req, socket, head, (ws) => answerTurns(ws, events));
  });
}

function answerTurns(ws: WebSocket, n: number): void {
  const frames = responsesFrames(n);
  ws.on('error', () => {});
  ws.on('message', (data: Buffer, binary: boolean) => {
    if (binary || !data.includes(CREATE)) return;
    ws.send(frames[0], { binary: false }); // text frames, as OpenAI sends them
    setImmediate(() => {
      for (let i = 1; i < frames.length; i++) if (ws.readyState === ws.OPEN) ws.send(frames[i], { binary: false });
    });
  });
}
