'use strict';
// ECDH P-256 key exchange: the reference's API (async, WebCrypto CryptoKeys)
// plus synchronous raw-key forms that run in the C core.
const nodeCrypto = require('../platform/crypto');
const { Buffer } = require('../platform/buffer');
const { native } = require('../binding');
const C = require('../constants');
const { EcdhError, fromStatus } = require('./errors');
const { subtle, isCryptoKey, needSync } = require('./keys');
const { toBase64, fromBase64, asBuffer } = require('./base64');

const msg = (err) => (err instanceof Error ? err.message : String(err));

async function generateKeyPair(curve = C.SupportedCurve.P256) {
  try {
    const kp = await subtle().generateKey({ name: 'ECDH', namedCurve: curve }, true, ['deriveBits']);
    return { publicKey: kp.publicKey, privateKey: kp.privateKey };
  } catch (err) {
    throw new EcdhError(`Failed to generate key pair: ${msg(err)}`, C.EncryptionErrorCode.HandshakeFailed);
  }
}

async function exportPublicKey(publicKey) {
  try {
    if (publicKey instanceof Uint8Array) return { publicKeyB64: toBase64(publicKey), curve: C.SupportedCurve.P256 };
    const rawKey = await subtle().exportKey('raw', publicKey);
    return { publicKeyB64: Buffer.from(rawKey).toString('base64'), curve: publicKey.algorithm.namedCurve };
  } catch (err) {
    throw new EcdhError(`Failed to export public key: ${msg(err)}`, C.EncryptionErrorCode.InvalidPublicKey);
  }
}

async function importPublicKey(publicKeyB64, curve = C.SupportedCurve.P256) {
  try {
    const rawKey = fromBase64(publicKeyB64);
    return await subtle().importKey('raw', rawKey, { name: 'ECDH', namedCurve: curve }, true, []);
  } catch (err) {
    throw new EcdhError(`Failed to import public key: ${msg(err)}`, C.EncryptionErrorCode.InvalidPublicKey);
  }
}

// ---- raw (synchronous) forms -----------------------------------------------
/** Decodes and checks a raw uncompressed P-256 point (Uint8Array or base64). */
function rawPublicKey(pub) {
  let b;
  try {
    b = typeof pub === 'string' ? Buffer.from(fromBase64(pub)) : asBuffer(pub);
  } catch {
    b = null;
  }
  if (!b || b.length !== 65 || b[0] !== 4) {
    throw new EcdhError('Failed to import public key: not a raw uncompressed P-256 point', C.EncryptionErrorCode.InvalidPublicKey);
  }
  return b;
}

/** { privateKey: Uint8Array(32), publicKey: Uint8Array(65), publicKeyB64 } */
function generateKeyPairSync() {
  let priv;
  let pub;
  if (native) {
    const k = new native.crypto.EcKey();
    priv = k.privateKey();
    pub = k.publicKey();
    k.dispose();
  } else {
    needSync('generateKeyPairSync');
    const ecdh = nodeCrypto.createECDH('prime256v1');
    pub = ecdh.generateKeys();
    priv = ecdh.getPrivateKey();
    if (priv.length < 32) priv = Buffer.concat([Buffer.alloc(32 - priv.length), priv]);
  }
  return { privateKey: new Uint8Array(priv), publicKey: new Uint8Array(pub), publicKeyB64: pub.toString('base64') };
}

/** Public point (Uint8Array(65)) of a raw private key. */
function publicKeyFromPrivate(privateKey) {
  const priv = asBuffer(privateKey);
  // node:crypto would pad a shorter key on the left; every backend refuses it
  if (priv.length !== 32) throw new EcdhError('Invalid private key: expected 32 bytes', C.EncryptionErrorCode.HandshakeFailed);
  try {
    if (native) {
      const k = new native.crypto.EcKey(priv);
      const p = k.publicKey();
      k.dispose();
      return new Uint8Array(p);
    }
    needSync('publicKeyFromPrivate');
    const ecdh = nodeCrypto.createECDH('prime256v1');
    ecdh.setPrivateKey(priv);
    return new Uint8Array(ecdh.getPublicKey());
  } catch (err) {
    throw new EcdhError(`Invalid private key: ${msg(err)}`, C.EncryptionErrorCode.HandshakeFailed);
  }
}

/** ECDH with raw keys: the 32-byte shared secret. Synchronous. */
function deriveSharedSecretSync(privateKey, peerPublicKey) {
  const pub = rawPublicKey(peerPublicKey);
  const priv = asBuffer(privateKey);
  if (priv.length !== 32) throw new EcdhError('Failed to derive shared secret: private key must be 32 bytes', C.EncryptionErrorCode.KeyDerivationFailed);
  if (native) {
    let k;
    try {
      k = new native.crypto.EcKey(priv);
    } catch (err) {
      throw new EcdhError(`Failed to derive shared secret: ${msg(err)}`, C.EncryptionErrorCode.KeyDerivationFailed);
    }
    const r = k.derive(pub);
    k.dispose();
    if (typeof r === 'number') throw fromStatus(EcdhError, r, 'Failed to derive shared secret');
    return new Uint8Array(r);
  }
  needSync('deriveSharedSecretSync');
  const ecdh = nodeCrypto.createECDH('prime256v1');
  try {
    ecdh.setPrivateKey(priv);
  } catch (err) {
    throw new EcdhError(`Failed to derive shared secret: ${msg(err)}`, C.EncryptionErrorCode.KeyDerivationFailed);
  }
  try {
    return new Uint8Array(ecdh.computeSecret(pub));
  } catch (err) {
    throw new EcdhError(`Failed to import public key: ${msg(err)}`, C.EncryptionErrorCode.InvalidPublicKey);
  }
}

/**
 * A one-use ephemeral key pair kept as a live key object (the native EcKey or
 * a node:crypto ECDH), so deriving does not import the private key again
 * (that import costs more than generating): { publicKeyB64, derive(peer) ->
 * Uint8Array(32) secret, dispose() }. For the stream's handshake and rekey.
 */
function ephemeralKeySync() {
  if (native) {
    const k = new native.crypto.EcKey();
    const publicKeyB64 = Buffer.from(k.publicKey()).toString('base64');
    return {
      publicKeyB64,
      derive(peerPublicKey) {
        const r = k.derive(rawPublicKey(peerPublicKey));
        if (typeof r === 'number') throw fromStatus(EcdhError, r, 'Failed to derive shared secret');
        return new Uint8Array(r);
      },
      privateKey: () => new Uint8Array(k.privateKey()),
      dispose: () => k.dispose(),
    };
  }
  needSync('ephemeralKeySync');
  let ecdh = nodeCrypto.createECDH('prime256v1');
  const publicKeyB64 = ecdh.generateKeys().toString('base64');
  return {
    publicKeyB64,
    derive(peerPublicKey) {
      const pub = rawPublicKey(peerPublicKey);
      try {
        return new Uint8Array(ecdh.computeSecret(pub));
      } catch (err) {
        throw new EcdhError(`Failed to import public key: ${msg(err)}`, C.EncryptionErrorCode.InvalidPublicKey);
      }
    },
    privateKey: () => {
      const d = ecdh.getPrivateKey();
      return new Uint8Array(d.length < 32 ? Buffer.concat([Buffer.alloc(32 - d.length), d]) : d);
    },
    dispose: () => {
      ecdh = null;
    },
  };
}

/** ephemeralKeySync()'s shape for a stored private key (a session store's pending rekey). */
function storedKeySync(privateKey, publicKeyB64) {
  let priv = new Uint8Array(privateKey);
  return {
    publicKeyB64,
    derive: (peer) => deriveSharedSecretSync(priv, peer),
    privateKey: () => new Uint8Array(priv),
    dispose: () => {
      priv.fill(0);
      priv = new Uint8Array(32);
    },
  };
}

/**
 * deriveSharedSecret(privateKey, peerPublicKey) -> Promise<Uint8Array(32)>
 * CryptoKeys (the reference) or raw keys: a 32-byte private key and a 65-byte
 * point (Uint8Array or base64), which take the native path.
 */
async function deriveSharedSecret(privateKey, peerPublicKey) {
  if (!isCryptoKey(privateKey) && privateKey instanceof Uint8Array) {
    let pub = peerPublicKey;
    if (isCryptoKey(pub)) pub = new Uint8Array(await subtle().exportKey('raw', pub));
    return deriveSharedSecretSync(privateKey, pub);
  }
  let peer = peerPublicKey;
  if (typeof peer === 'string' || peer instanceof Uint8Array) peer = await importPublicKey(typeof peer === 'string' ? peer : toBase64(peer));
  try {
    const bits = await subtle().deriveBits({ name: 'ECDH', public: peer }, privateKey, 256);
    return new Uint8Array(bits);
  } catch (err) {
    throw new EcdhError(`Failed to derive shared secret: ${msg(err)}`, C.EncryptionErrorCode.KeyDerivationFailed);
  }
}

function publicB64Of(keyPair) {
  const p = keyPair.publicKey;
  return p instanceof Uint8Array ? Promise.resolve({ publicKeyB64: toBase64(p), curve: C.SupportedCurve.P256 }) : exportPublicKey(p);
}

async function createClientHello(keyPair) {
  const { publicKeyB64, curve } = await publicB64Of(keyPair);
  return {
    protocolVersion: C.PROTOCOL_VERSION,
    clientEphemeralPubKeyB64: publicKeyB64,
    curve,
    supportedAlgorithms: [C.EncryptionAlgorithm.AES_GCM_256],
  };
}

async function createServerHello(keyPair, keyId) {
  const { publicKeyB64, curve } = await publicB64Of(keyPair);
  return {
    protocolVersion: C.PROTOCOL_VERSION,
    serverEphemeralPubKeyB64: publicKeyB64,
    curve,
    selectedAlgorithm: C.EncryptionAlgorithm.AES_GCM_256,
    kdf: C.KeyDerivation.HKDF_SHA256,
    keyId,
  };
}

async function processClientHello(clientHello) {
  const serverKeyPair = await generateKeyPair(clientHello.curve);
  const peerPublicKey = await importPublicKey(clientHello.clientEphemeralPubKeyB64, clientHello.curve);
  const keyId = `k_${nodeCrypto.randomUUID()}`;
  const serverHello = await createServerHello(serverKeyPair, keyId);
  return { serverKeyPair, peerPublicKey, serverHello, keyId };
}

async function processServerHello(serverHello) {
  const peerPublicKey = await importPublicKey(serverHello.serverEphemeralPubKeyB64, serverHello.curve);
  return { peerPublicKey, keyId: serverHello.keyId };
}

module.exports = {
  ephemeralKeySync,
  storedKeySync,
  generateKeyPair,
  exportPublicKey,
  importPublicKey,
  deriveSharedSecret,
  createClientHello,
  createServerHello,
  processClientHello,
  processServerHello,
  EcdhError,
  generateKeyPairSync,
  publicKeyFromPrivate,
  deriveSharedSecretSync,
  rawPublicKey,
};
