import { connect } from 'node:net';

/** A RESP2 reply: a status or bulk string, an integer, null, or an array of replies. */
export type RespReply = string | number | null | RespReply[];

/** A reply parsed from the start of a buffer, and where the next one starts. */
interface Parsed {
  value: RespReply | Error;
  end: number;
}

export interface RedisCommandOptions {
  /** Rejects past it, in ms (a paused server answers nothing). Default 2000. */
  timeoutMs?: number;
  /** Sent with AUTH before the command, when the server asks for a password. */
  password?: string;
}

/**
 * Sends one command to the Redis (or Sentinel) on loopback `port` and resolves with its reply;
 * rejects with the server's error reply, a connection failure, or after `timeoutMs`. For the
 * test helpers, which must not depend on a Redis client library.
 */
export function redisCommand(
  port: number,
  args: readonly string[],
  { timeoutMs = 2000, password }: RedisCommandOptions = {},
): Promise<RespReply> {
  const commands = password === undefined ? [args] : [['AUTH', password], args];
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(commands.map(encode).join('')));
    const settle = (error: Error | undefined, value?: RespReply): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve(value ?? null);
    };
    socket.setTimeout(timeoutMs, () =>
      settle(new Error(`redis ${port}: no answer to ${args[0]} within ${timeoutMs} ms`)),
    );
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const replies: (RespReply | Error)[] = [];
      for (let position = 0; replies.length < commands.length;) {
        const parsed = parse(received, position);
        if (!parsed) return;
        replies.push(parsed.value);
        position = parsed.end;
      }
      const failed = replies.find((reply) => reply instanceof Error);
      if (failed) settle(failed);
      else settle(undefined, replies.at(-1) as RespReply);
    });
    socket.once('error', (error) => settle(error));
    socket.once('close', () => settle(new Error(`redis ${port}: closed before answering ${args[0]}`)));
  });
}

/** A command as RESP bulk strings, so that an argument is sent as it is, spaces and all. */
function encode(parts: readonly string[]): string {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
}

/** The reply starting at `start`, or undefined while it has not all arrived. */
function parse(buffer: Buffer, start: number): Parsed | undefined {
  const lineEnd = buffer.indexOf('\r\n', start);
  if (lineEnd < 0) return undefined;
  const line = buffer.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (String.fromCharCode(buffer[start])) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new Error(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*':
      return parseArray(buffer, Number(line), next);
    default:
      return { value: new Error(`unexpected reply "${line}"`), end: next };
  }
}

function parseArray(buffer: Buffer, count: number, start: number): Parsed | undefined {
  if (count < 0) return { value: null, end: start };
  const items: RespReply[] = [];
  let position = start;
  for (let index = 0; index < count; index++) {
    const item = parse(buffer, position);
    if (!item) return undefined;
    // An error inside an array (EXEC) is kept as its message: the caller reads the array.
    items.push(item.value instanceof Error ? item.value.message : item.value);
    position = item.end;
  }
  return { value: items, end: position };
}

/** `['k1', 'v1', 'k2', 'v2']` (Sentinel's replies about a master or a replica) as a map. */
export function fieldsOf(reply: RespReply): Map<string, string> {
  const fields = new Map<string, string>();
  if (!Array.isArray(reply)) return fields;
  for (let index = 0; index + 1 < reply.length; index += 2)
    fields.set(String(reply[index]), String(reply[index + 1]));
  return fields;
}
