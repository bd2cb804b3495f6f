// The ESM view of the package (type-checked only, like consumer.ts): default
// and named imports resolve through the "import" condition of "exports".
import esn, { backend, StreamDecoder, createEncryptedChannel } from 'enclave-stream-native';
import * as ns from 'enclave-stream-native';
import { installFakeClock } from 'enclave-stream-native/testing';

const decoder: StreamDecoder = new esn.StreamDecoder();
const same: typeof ns.createEncryptedChannel = createEncryptedChannel;
const channel = await createEncryptedChannel({ role: 'client' });
installFakeClock().uninstall();
console.log(backend, decoder.lineNumber, same === esn.createEncryptedChannel, channel.ready);

// @ts-expect-error not an export of the package
import { NoSuchExport } from 'enclave-stream-native';
console.log(NoSuchExport);
