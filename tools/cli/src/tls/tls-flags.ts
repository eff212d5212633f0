import { Option, type Command } from 'commander';

/** The TLS options of the commands that dial instances (`call`, `health`), as commander parses them. */
export interface TlsFlags {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServerName?: string;
  plaintext?: boolean;
}

/** Each flag and the variable of `tlsFromEnv` it overrides; the flag wins over the variable. */
export const TLS_FLAG_VARIABLES = [
  { key: 'tlsCa', flag: '--tls-ca', variable: 'GRPC_TLS_CA' },
  { key: 'tlsCert', flag: '--tls-cert', variable: 'GRPC_TLS_CERT' },
  { key: 'tlsKey', flag: '--tls-key', variable: 'GRPC_TLS_KEY' },
  { key: 'tlsServerName', flag: '--tls-server-name', variable: 'GRPC_TLS_SERVER_NAME' },
] as const;

/** Adds `--tls-ca`, `--tls-cert`, `--tls-key`, `--tls-server-name` and `--plaintext` to a command. */
export function addTlsOptions(command: Command): Command {
  return command
    .option(
      '--tls-ca <file>',
      'dial over TLS, verifying servers against this PEM CA bundle (default: GRPC_TLS_CA)',
    )
    .option(
      '--tls-cert <file>',
      'the client certificate (PEM) to present, for mutual TLS (default: GRPC_TLS_CERT)',
    )
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM) (default: GRPC_TLS_KEY)')
    .option(
      '--tls-server-name <name>',
      'the name server certificates must carry (default: GRPC_TLS_SERVER_NAME, else the service name)',
    )
    .addOption(
      new Option('--plaintext', 'dial without TLS, even when GRPC_TLS_* variables are set').conflicts(
        TLS_FLAG_VARIABLES.map(({ key }) => key),
      ),
    );
}
