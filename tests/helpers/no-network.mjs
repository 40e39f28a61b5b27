// Loaded with `node --import` (through NODE_OPTIONS, so every child process and worker of
// a command has it too): any attempt to open a network connection or resolve a name is
// written to $SSMTL_NETWORK_LOG, with its stack, and refused. Listening (serve) is not
// connecting and stays allowed. Each process that loads it writes a 'loaded' line, so a
// test can tell that the guard was really there.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const log = process.env.SSMTL_NETWORK_LOG;
const record = (entry) => {
  if (log) appendFileSync(log, `${JSON.stringify({ pid: process.pid, mainThread: isMainThread, ...entry })}\n`);
};
const refuse = (what) =>
  function refused(...args) {
    const target = args
      .map((a) => (typeof a === 'object' && a !== null ? JSON.stringify(a, ['host', 'hostname', 'port', 'path']) : String(a)))
      .join(' ');
    record({ blocked: what, target: target.slice(0, 200), stack: new Error().stack.split('\n').slice(2, 8).join('\n') });
    throw new Error(`network access refused by the test (${what} ${target.slice(0, 80)})`);
  };

record({ loaded: process.argv.slice(1, 3).join(' ') });
const net = require('node:net');
// tsx (which runs the TypeScript) looks for the IPC pipe of a `tsx` parent process in
// its temporary folder: a local Unix socket, no network, allowed. Anything else is refused.
const connect = net.Socket.prototype.connect;
const refuseConnect = refuse('net.Socket.connect');
const TSX_PIPE = /[\\/]tsx-\d+[\\/]\d+\.pipe$/;
net.Socket.prototype.connect = function (...args) {
  const options = args[0];
  const path = typeof options === 'string' ? options : Array.isArray(options) ? options[0]?.path : options?.path;
  return typeof path === 'string' && TSX_PIPE.test(path) ? connect.apply(this, args) : refuseConnect.apply(this, args);
};
const tls = require('node:tls');
tls.connect = refuse('tls.connect');
const dgram = require('node:dgram');
dgram.createSocket = refuse('dgram.createSocket');
const dns = require('node:dns');
// An IP literal is no name to resolve (listen() passes its host through lookup): allowed.
const lookup = dns.lookup;
const refuseLookup = refuse('dns.lookup');
dns.lookup = function (hostname, ...rest) {
  return net.isIP(String(hostname)) ? lookup.call(this, hostname, ...rest) : refuseLookup(hostname, ...rest);
};
for (const name of [
  'lookupService',
  'resolve',
  'resolve4',
  'resolve6',
  'resolveAny',
  'resolveCname',
  'resolveMx',
  'resolveNs',
  'resolveTxt',
  'resolveSrv',
  'reverse',
])
  if (typeof dns[name] === 'function') dns[name] = refuse(`dns.${name}`);
for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'reverse'])
  if (typeof dns.promises[name] === 'function') dns.promises[name] = refuse(`dns.promises.${name}`);
for (const module of ['node:http', 'node:https', 'node:http2']) {
  const m = require(module);
  for (const name of ['request', 'get', 'connect']) if (typeof m[name] === 'function') m[name] = refuse(`${module}.${name}`);
}
if (typeof globalThis.fetch === 'function') globalThis.fetch = refuse('fetch');
if (typeof globalThis.WebSocket === 'function') globalThis.WebSocket = refuse('WebSocket');
