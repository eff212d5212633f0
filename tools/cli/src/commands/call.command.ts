import type { JsonValue } from '@bufbuild/protobuf';
import { Metadata, type Client } from '@grpc/grpc-js';
import type { ServiceInstance } from '@nestmesh/discovery';

import { UsageError } from '../cli.errors.js';
import {
  bidiStreamingCall,
  clientStreamingCall,
  serverStreamingCall,
  unaryCall,
  type CallSettings,
  type RequestBytes,
} from '../call/dynamic-call.js';
import { parseJson } from '../call/json-input.js';
import { messageCodec, type MessageCodec } from '../call/message-codec.js';
import { parseMethodName } from '../call/method-name.js';
import { reflectMethod } from '../call/method-types.js';
import { ReflectionClient } from '../call/reflection.client.js';
import { instanceById, liveInstances, withDiscovery } from '../discovery-backend.js';
import type { GlobalOptions } from '../global-options.js';
import { interruptSignal } from '../interrupt.js';
import { jsonDocument, jsonLine } from '../output/json.js';
import { readStdin, stdinLines } from '../stdin.js';
import { checkTlsSettings, openInstanceChannel, tlsFailureOf } from '../tls/instance-channel.js';
import type { TlsFlags } from '../tls/tls-flags.js';
import { tlsSettingsOf } from '../tls/tls-settings.js';

/** How long the reflection questions before a call may take, in ms. */
export const REFLECTION_TIMEOUT_MS = 10_000;

/** The request argument that means "read standard input". */
const STDIN = '-';

export interface CallOptions extends TlsFlags {
  instance?: string;
  deadline?: number;
  header?: [string, string][];
}

/** The instance to call: the one `--instance` names, else one of the live ones at random. */
async function chooseInstance(global: GlobalOptions, service: string, id?: string): Promise<ServiceInstance> {
  return withDiscovery(global, async (backend) => {
    const instances = await liveInstances(backend, service);
    return id ? instanceById(instances, id) : instances[Math.floor(Math.random() * instances.length)];
  });
}

async function* stdinRequests(codec: MessageCodec): RequestBytes {
  for await (const { line, number } of stdinLines())
    yield codec.encode(parseJson(line, `stdin line ${number}`), `stdin line ${number}`);
}

/** One request, from the argument or (`-`) the whole of stdin, encoded. */
async function singleRequest(requestText: string, codec: MessageCodec): Promise<Buffer> {
  const source = requestText === STDIN ? 'stdin' : 'the request argument';
  const text = requestText === STDIN ? await readStdin() : requestText;
  return codec.encode(parseJson(text, source), source);
}

async function invoke(
  client: Client,
  codec: MessageCodec,
  kind: string,
  requestText: string,
  settings: CallSettings,
  print: (response: JsonValue) => void,
): Promise<void> {
  if (kind === 'unary')
    return print(await unaryCall(client, await singleRequest(requestText, codec), codec, settings));
  if (kind === 'server_streaming') {
    const request = await singleRequest(requestText, codec);
    for await (const response of serverStreamingCall(client, request, codec, settings)) print(response);
    return;
  }
  if (requestText !== STDIN)
    throw new UsageError(
      `${settings.path.slice(1)} is ${kind.replace('_', '-')}: pass - as the request and write one JSON request per line on stdin`,
    );
  if (kind === 'client_streaming')
    return print(await clientStreamingCall(client, stdinRequests(codec), codec, settings));
  for await (const response of bidiStreamingCall(client, stdinRequests(codec), codec, settings))
    print(response);
}

/**
 * `nestmesh call <service> <package.Service/Method> <json>`: finds an instance through the
 * registry, learns the method's types from its server reflection, and prints the response(s)
 * as JSON; a non-OK status is thrown as CallFailedError (printed with its details by main).
 */
export async function callCommand(
  service: string,
  methodText: string,
  requestText: string,
  options: CallOptions,
  global: GlobalOptions,
): Promise<void> {
  const name = parseMethodName(methodText);
  // a malformed argument is reported before anything is dialled
  if (requestText !== STDIN) parseJson(requestText, 'the request argument');
  const tls = tlsSettingsOf(options);
  const instance = await chooseInstance(global, service, options.instance);
  checkTlsSettings(instance, tls);
  const channel = openInstanceChannel(instance, tls);
  const { client, target } = channel;
  try {
    const reflection = new ReflectionClient(client, target, new Date(Date.now() + REFLECTION_TIMEOUT_MS));
    const reflected = await reflectMethod(reflection, name).finally(() => reflection.close());
    const metadata = new Metadata();
    for (const [key, value] of options.header ?? [])
      metadata.add(key, key.endsWith('-bin') ? Buffer.from(value, 'base64') : value);
    const settings: CallSettings = {
      path: `/${name.service}/${name.method}`,
      metadata,
      deadline: options.deadline === undefined ? undefined : new Date(Date.now() + options.deadline),
      signal: interruptSignal(),
    };
    const streaming = reflected.method.methodKind !== 'unary';
    const print = (response: JsonValue) =>
      process.stdout.write(global.json || streaming ? jsonLine(response) : jsonDocument(response));
    await invoke(client, messageCodec(reflected), reflected.method.methodKind, requestText, settings, print);
  } catch (error) {
    throw tlsFailureOf(error, channel);
  } finally {
    client.close();
  }
}
