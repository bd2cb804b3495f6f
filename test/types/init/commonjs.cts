// A CommonJS consumer under the settings `tsc --init` writes (verbatimModuleSyntax: `import x = require()`).
import esn = require('enclave-stream-native');
import testing = require('enclave-stream-native/testing');

const decoder = new esn.StreamDecoder({ validate: 'event' });
const seen: string[] = [];
decoder.on('message', (event: esn.StreamEvent) => seen.push(event.type));
decoder.on('invalid', (info: esn.InvalidLine) => seen.push(info.code));
decoder.end('{"protocolVersion":2,"sessionId":"s_1","seq":1,"type":"stdout","payload":{"chunk":"hi"}}\nnot json\n');
decoder.on('finish', () => {
  const first: string | undefined = seen[0]; // noUncheckedIndexedAccess
  console.log(first, seen.length, esn.backend, typeof testing.installFakeClock);
});

try {
  esn.parseNDJSON('{bad');
} catch (err) {
  if (err instanceof esn.NdjsonError) console.log(err.code, err.line);
}
