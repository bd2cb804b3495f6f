// A TypeScript consumer of the README API, imported by the package NAME.
// Type-checked only (tsc --noEmit --strict, see tsconfig.json here): by
// test/types.consumer.test.js against the repository (package self-reference
// through "exports"), and by scripts/pack-test.js against the installed tarball.
// The `@ts-expect-error` lines prove that wrong usage is rejected: tsc fails if
// one of them compiles.
import * as net from 'node:net';
import {
  backend,
  StreamEncoder, StreamDecoder, parseNDJSON, stringifyNDJSON, NdjsonError, NdjsonErrorCode,
  EventRouter, routeNDJSON,
  type InvalidLine, type RoutedEvent,
  serializeEvent, serializeEvents, parseLine, parseLines, NdjsonStreamParser,
  createNdjsonParseStream, createNdjsonSerializeStream, parseNdjsonStream,
  parseStreamEventOrEncrypted, parseStreamEvent, generateSessionId, generateCallId, generateRefId,
  createRefToken, isRefToken, isToolCallEvent, isEncryptedEnvelope, EventType, PROTOCOL_VERSION,
  StreamEventSchema, DEFAULT_SESSION_LIMITS, EncryptionErrorCode,
  type StreamEvent, type EncryptedEnvelope, type SessionId, type ToolCallEvent,
  createEncryptedChannel, generateKeyPairSync, deriveSharedSecretSync, deriveSessionKeysSync,
  createEnvelopeCipher, AesGcmError, type EncryptedChannel, type EnvelopeCipher,
  generateKeyPair, deriveSharedSecret, encrypt, decrypt, deriveSessionKeys, importAesGcmKey,
  SessionEncryptionContext, createClientHello, processClientHello, processServerHello, toBase64, fromBase64,
  ReconnectingStream, StreamServer, type Session, type StreamGap, type ConnectionStateValue,
  ReconnectionStateMachine, SequenceTracker, EventBuffer, HeartbeatMonitor, ConnectionState,
  DEFAULT_RECONNECTION_CONFIG, ControlType, RejectCode, GapReason,
  CodedError, StreamError, StreamProtocolError, WireError, SecureError, SessionError, EcdhError, HkdfError,
  type BrowserCodec, type BrowserStreamDecoder,
} from 'enclave-stream-native';
import * as esn from 'enclave-stream-native';
import { FaultProxy, installFakeClock, FakeClock, prng } from 'enclave-stream-native/testing';

const which: 'native' | 'js' = backend;

// ---- NDJSON -------------------------------------------------------------------------------
function ndjson(): void {
  const encoder = new StreamEncoder();
  const decoder = new StreamDecoder({ maxLineBytes: 1 << 20, validate: 'event' });
  const line: string = encoder.encode({ type: 'tool_call', name: 'getData', args: {} });
  const lines: string = encoder.encodeBatch([{ a: 1 }, { b: 2 }]);
  decoder.on('message', (message) => console.log('Received:', message));
  decoder.on('invalid', (info: InvalidLine) => console.warn(info.line, info.offset, info.code, info.error, info.content));
  decoder.write(line + lines);
  encoder.pipe(decoder);

  const text = stringifyNDJSON([{ type: 'start', sessionId: '123' }, { type: 'end' }]);
  const values: unknown[] = parseNDJSON(text, { onInvalid: (bad) => console.warn(bad.code) });
  parseNDJSON(new TextEncoder().encode(text));
  try {
    parseNDJSON('{bad');
  } catch (err) {
    if (err instanceof NdjsonError && err.code === NdjsonErrorCode.PARSE) console.log(err.line, err.offset);
  }
  console.log(values.length);

  // @ts-expect-error validate is 'event' or false
  new StreamDecoder({ validate: 'strict' });
  // @ts-expect-error parseNDJSON takes text or bytes
  parseNDJSON(42);
}

async function decodeAll(decoder: StreamDecoder): Promise<number> {
  let n = 0;
  for await (const _message of decoder) n++;
  return n;
}

function routing(chunk: Uint8Array): void {
  const router = new EventRouter({ validate: 'fields' });
  router.on('invalid', (e) => console.warn('bad line', e.line, e.error));
  const forward = (sessionId: string, seq: number, type: string, bytes: Uint8Array) => void [sessionId, seq, type, bytes];
  for (const ev of router.push(chunk)) {
    forward(ev.sessionId, ev.seq, ev.type, ev.bytes);
    const payload = ev.payload;
    console.log(payload, ev.event.type);
  }
  const rest: RoutedEvent[] = router.end();
  console.log(rest.length, router.invalid.length, routeNDJSON(chunk, { validate: 'event' }).length);
}

function referenceNdjson(event: StreamEvent): void {
  const one: string = serializeEvent(event);
  const many: string = serializeEvents([event, event]);
  const r = parseLine(one);
  if (r.success) console.log(r.data.seq);
  else console.log(r.error, r.line);
  const { events, errors } = parseLines(many);
  console.log(events.length, errors.map((e) => e.line));
  const parser = new NdjsonStreamParser({ onEvent: (e) => console.log(e.type), onError: (e) => console.warn(e.content), maxLineBytes: 4096 });
  parser.feed(many);
  parser.flush();
  console.log(parser.getLineNumber(), parser.hasPendingData());
  const parse: TransformStream<string | Uint8Array, StreamEvent | EncryptedEnvelope> = createNdjsonParseStream({ onError: (e) => console.warn(e.line) });
  const serialize = createNdjsonSerializeStream();
  console.log(parse, serialize);
}

async function readBody(body: ReadableStream<Uint8Array>): Promise<void> {
  for await (const event of parseNdjsonStream(body)) console.log(event.type);
}

// ---- protocol types, schemas and helpers -----------------------------------------------------
function protocol(): void {
  const sessionId: SessionId = generateSessionId();
  const r = parseStreamEventOrEncrypted({
    protocolVersion: PROTOCOL_VERSION, sessionId, seq: 0, type: EventType.ToolCall,
    payload: { callId: generateCallId(), toolName: 'getUser', args: { id: 7 } },
  });
  if (r.success && !isEncryptedEnvelope(r.data) && isToolCallEvent(r.data)) {
    const call: ToolCallEvent = r.data;
    console.log(call.payload.toolName);
  }
  // the README's form: the guards take what parseStreamEventOrEncrypted returns
  if (r.success && isToolCallEvent(r.data)) console.log(r.data.payload.args);
  const s = parseStreamEvent({});
  if (!s.success) console.log(s.error.issues.length);
  console.log(isRefToken(createRefToken(generateRefId())), StreamEventSchema.safeParse({}).success);
  const ttl: number = DEFAULT_SESSION_LIMITS.sessionTtlMs;
  const code: 'ENCRYPTION_DECRYPTION_FAILED' = EncryptionErrorCode.DecryptionFailed;
  console.log(ttl, code);

  // @ts-expect-error session ids start with "s_"
  const wrong: SessionId = 'session-1';
  console.log(wrong);
}

// ---- end-to-end encryption ---------------------------------------------------------------------
async function encryptedChannel(): Promise<void> {
  const serverKeys = generateKeyPairSync();
  const server = net.createServer(async (socket) => {
    const channel: EncryptedChannel = await createEncryptedChannel({
      role: 'server',
      keyPair: serverKeys,
      onMessage: (message) => { console.log('server got', message); void channel.send({ ok: true }); },
      onError: (err) => console.warn('dropped frame:', err.code, err.seq, err.replay),
      send: (frame) => socket.write(frame),
    });
    socket.on('data', (chunk) => channel.receive(chunk));
  });
  server.listen(0);
  const socket = net.connect((server.address() as net.AddressInfo).port);
  const client = await createEncryptedChannel({
    role: 'client',
    remotePublicKey: serverKeys.publicKeyB64,
    onMessage: () => { socket.end(); server.close(); },
    send: (frame) => socket.write(frame),
  });
  socket.on('data', (chunk) => client.receive(chunk));
  const frame: string = await client.send({ type: 'tool_call', name: 'secretOp', args: {} });
  console.log(frame, client.stats.delivered, client.getPublicKey());

  // @ts-expect-error role is 'client' or 'server'
  await createEncryptedChannel({ role: 'peer' });
}

function fastCipher(): void {
  const server = generateKeyPairSync();
  const client = generateKeyPairSync();
  const sessionId = 's_demo';
  const secret: Uint8Array = deriveSharedSecretSync(server.privateKey, client.publicKey);
  const { serverToClientKey } = deriveSessionKeysSync(secret, sessionId);
  const sealer: EnvelopeCipher = createEnvelopeCipher({ key: serverToClientKey, sessionId, kid: 'k_1' });
  const opener = createEnvelopeCipher({ key: serverToClientKey, sessionId, kid: 'k_1' });
  const event = { protocolVersion: 2, sessionId, seq: 1, type: 'stdout', payload: { chunk: 'hi' } };
  const line: string = sealer.seal(event);
  const lines: string = sealer.sealBatch([{ ...event, seq: 2 }, { ...event, seq: 3 }]);
  console.log(opener.open<StreamEvent>(line).seq, opener.openBatch(lines).map((e: { seq: number }) => e.seq));
  try {
    opener.open(line);
  } catch (err) {
    if (err instanceof AesGcmError) console.log(err.code);
  }
  sealer.dispose();

  // @ts-expect-error the key is 32 bytes, not a string
  createEnvelopeCipher({ key: 'secret', sessionId, kid: 'k_1' });
}

async function referenceCrypto(message: unknown): Promise<void> {
  const serverKeys = await generateKeyPair();
  const clientKeys = await generateKeyPair();
  const serverSecret = await deriveSharedSecret(serverKeys.privateKey, clientKeys.publicKey);
  const clientSecret = await deriveSharedSecret(clientKeys.privateKey, serverKeys.publicKey);
  const encrypted = await encrypt(serverSecret, JSON.stringify(message));
  const decrypted: string = await decrypt(clientSecret, encrypted);
  const keys = await deriveSessionKeys(serverSecret, 's_x');
  const ctx = await SessionEncryptionContext.fromKeyBytes(keys.serverToClientKey, 'k_1');
  const envelope: EncryptedEnvelope = await ctx.createEnvelope('s_x', 1, { hello: 1 });
  const inner = await ctx.decryptJson<{ hello: number }>(envelope.payload);
  const key: CryptoKey = await importAesGcmKey(keys.clientToServerKey);
  const hello = await createClientHello(clientKeys);
  const { serverHello } = await processClientHello(hello);
  const { keyId } = await processServerHello(serverHello);
  console.log(decrypted, inner.hello, key.type, keyId, toBase64(fromBase64('AAAA')));
}

// ---- reconnecting streams ---------------------------------------------------------------------------
async function reconnecting(): Promise<void> {
  const server = new StreamServer({ port: 0, encryption: 'required', maxReplayEvents: 10000 });
  const { url } = await server.listen();
  server.on('session', async (session: Session) => {
    session.on('message', (m) => console.log('client says', m));
    for (let i = 0; i < 3; i++) await session.send({ type: 'stdout', payload: { chunk: `line ${i}\n` } });
  });
  const stream = new ReconnectingStream({
    url,
    encryption: true,
    reconnect: { maxAttempts: 5, initialDelay: 1000, maxDelay: 30000, backoffMultiplier: 2 },
    onReconnect: (attempt, delayMs) => console.log(`Reconnecting (attempt ${attempt}) in ${delayMs} ms...`),
    onMessage: (event) => console.log(event.seq, event.payload.chunk),
    onGap: (gap: StreamGap) => console.warn('events lost for good:', gap.from, gap.to),
  });
  stream.on('stateChange', (state: ConnectionStateValue) => console.log(state));
  stream.on('failed', ({ reason, code }) => console.warn(reason, code));
  await stream.connect();
  await stream.send({ type: 'cancel', payload: { reason: 'done' } });
  await stream.flush();
  await stream.close();
  await server.close();

  // @ts-expect-error url is required
  new ReconnectingStream({ encryption: true });
}

function referenceReconnect(): void {
  const clock: FakeClock = installFakeClock();
  const sm = new ReconnectionStateMachine({
    config: { maxRetries: 3, initialDelayMs: 100, jitter: false },
    onEvent: (e) => { if (e.type === 'retry_scheduled') console.log(e.attempt, e.delayMs); },
  });
  sm.connect();
  sm.onDisconnected('socket closed');
  clock.tick(100);
  clock.uninstall();
  const state: ConnectionState = sm.getState();
  const tracker = new SequenceTracker();
  const { gap } = tracker.receive(1);
  const buffer = new EventBuffer<StreamEvent>(10);
  const monitor = new HeartbeatMonitor({ timeoutMs: 1000, onTimeout: () => {} });
  monitor.stop();
  console.log(state, gap, buffer.size(), DEFAULT_RECONNECTION_CONFIG.maxRetries, ControlType.Ack, RejectCode.SessionUnknown, GapReason.ReplayOverflow);
}

async function faults(serverPort: number): Promise<void> {
  const proxy = new FaultProxy({ target: { port: serverPort }, cutAfterBytes: [30000, 250000], seed: 7 });
  const { url } = await proxy.listen();
  proxy.cutAll();
  console.log(url, proxy.stats.cuts, prng(1)());
  await proxy.close();
}

// ---- errors ---------------------------------------------------------------------------------------
function errors(err: unknown): string {
  const wire: StreamError = new WireError('cannot serialize', 'ERR_STREAM_ENCODE');
  const secure: StreamError = new SecureError('bad envelope', 'ERR_STREAM_ENVELOPE');
  const protocolError: StreamError = new StreamProtocolError('bad frame', 'ERR_STREAM_CONTROL');
  const all: CodedError[] = [wire, secure, protocolError, new SessionError('x', 'ERR_SESSION_CLOSED'), new EcdhError('x', 'ENCRYPTION_INVALID_PUBLIC_KEY'), new HkdfError('x', 'ENCRYPTION_KEY_DERIVATION_FAILED'), new AesGcmError('x', 'ENCRYPTION_DECRYPTION_FAILED'), new NdjsonError('x', 'ERR_NDJSON_PARSE')];
  if (err instanceof NdjsonError && err.line !== undefined) return `${err.code} at line ${err.line}`;
  return err instanceof CodedError ? err.code : all.map((e) => e.name).join();
}

// ---- the browser build's codec: WHATWG { readable, writable } pairs -----------------------------
async function browserCodec(res: { body: ReadableStream<Uint8Array> }): Promise<void> {
  const { StreamDecoder: WebDecoder, StreamEncoder: WebEncoder } = esn as unknown as BrowserCodec;
  const decoder: BrowserStreamDecoder = new WebDecoder({ validate: 'event', highWaterMark: 64 });
  decoder.on('invalid', (info) => console.warn(info.code, info.line));
  for await (const event of res.body.pipeThrough(decoder)) console.log(event);
  const encoder = new WebEncoder();
  const lines: ReadableStream<string> = encoder.readable;
  const writer = encoder.writable.getWriter();
  await writer.write({ type: 'stdout' });
  await writer.close();
  console.log(lines.locked, encoder.encode({ a: 1 }), decoder.lineNumber);
  // @ts-expect-error the browser decoder's readable side carries values, not a boolean
  const flag: boolean = decoder.readable;
  console.log(flag);
}

export { errors, browserCodec, which, ndjson, decodeAll, routing, referenceNdjson, readBody, protocol, encryptedChannel, fastCipher, referenceCrypto, reconnecting, referenceReconnect, faults };
