// TLS and SASL listeners for a test broker, beside its PLAINTEXT one (which stays for readiness
// and replication): SASL_SSL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, unsecured OAUTHBEARER) and SSL
// with required client certificates (mutual TLS). Kafka reads the PEM files made by test-certs.ts.
// Property names: https://kafka.apache.org/documentation/#brokerconfigs
import type { TestCerts } from './test-certs.js';

export interface SecureListenerOptions {
  certs: TestCerts;
  /** PLAIN users (name -> password), from the listener's JAAS configuration. */
  plainUsers: Record<string, string>;
  /** SCRAM credentials, stored in the cluster metadata when the data dir is formatted. */
  scramUsers: { mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; name: string; password: string }[];
  /** Fixed ports (a restart keeps its clients' addresses); unset: free ones are picked. */
  saslSslPort?: number;
  sslPort?: number;
}

export interface SecurePorts {
  saslSsl: number;
  ssl: number;
}

const jaasValue = (s: string) => JSON.stringify(s);

export function secureProperties(opts: SecureListenerOptions): Record<string, string> {
  const plainUsers = Object.entries(opts.plainUsers)
    .map(([name, pw]) => ` user_${name}=${jaasValue(pw)}`)
    .join('');
  return {
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required${plainUsers};`,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    // Without a callback handler Kafka validates OAUTHBEARER tokens as unsigned JWTs: enough to test the token's path.
    'listener.name.sasl_ssl.oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
    // OAUTHBEARER sessions end when their token expires (KIP-368), so a client that does not fetch a renewed one is cut off.
    'listener.name.sasl_ssl.oauthbearer.connections.max.reauth.ms': '3600000',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': opts.certs.brokerKeystoreFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': opts.certs.caFile,
    'listener.name.ssl.ssl.client.auth': 'required',
  };
}

/** The format tool's arguments that store the SCRAM users. */
export function scramFormatArgs(opts: SecureListenerOptions): string[] {
  return opts.scramUsers.flatMap((u) => ['--add-scram', `${u.mechanism}=[name=${u.name},password=${u.password}]`]);
}
