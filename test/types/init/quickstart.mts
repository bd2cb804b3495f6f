import { StreamServer, ReconnectingStream, type Session, type StreamEvent } from 'enclave-stream-native';

const server = new StreamServer({ port: 0, encryption: 'required' });
server.on('session', (session: Session) => {
  session.on('message', async (message: { name: string }) => {
    await session.send({ type: 'stdout', payload: { chunk: `hello, ${message.name}` } });
  });
});
const { url } = await server.listen();

const client = new ReconnectingStream({
  url,
  encryption: true,
  onMessage: async (event: StreamEvent) => {
    if (event.type === 'stdout') console.log('client got', event.payload.chunk);
    await client.close();
    await server.close();
  },
});
await client.connect();
await client.send({ name: 'client' });
