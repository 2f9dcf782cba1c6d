// A self-signed certificate for the API (tests, `tandem demo`, a first start): generated with the
// openssl command, for the given host names and IP addresses. Production clusters should use
// certificates from their own CA; the client trusts this one with `ca: cert`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIP } from 'node:net';

export interface TlsMaterial {
  /** PEM certificate (also the CA to trust, since it is self-signed). */
  cert: string;
  /** PEM private key. */
  key: string;
}

export function generateSelfSignedCert(opts: { names?: string[]; days?: number; commonName?: string } = {}): TlsMaterial {
  const names = opts.names?.length ? opts.names : ['localhost', '127.0.0.1', '::1'];
  const cn = opts.commonName ?? names[0]!;
  if (!/^[A-Za-z0-9.*:_-]+$/.test(cn) || names.some((n) => !/^[A-Za-z0-9.*:_-]+$/.test(n))) throw new Error(`bad certificate name in ${names.join(', ')}`);
  const san = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const dir = mkdtempSync(join(tmpdir(), 'tandem-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    const cfg = join(dir, 'openssl.cnf');
    writeFileSync(
      cfg,
      [
        '[req]',
        'distinguished_name = dn',
        'x509_extensions = ext',
        'prompt = no',
        '[dn]',
        `CN = ${cn}`,
        'O = Tandem cluster',
        '[ext]',
        `subjectAltName = ${san}`,
        'basicConstraints = critical,CA:TRUE',
        'keyUsage = critical,digitalSignature,keyEncipherment,keyCertSign',
        'extendedKeyUsage = serverAuth',
        '',
      ].join('\n'),
    );
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', String(opts.days ?? 825), '-config', cfg],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      if (e.code === 'ENOENT') throw new Error('cannot generate a certificate: the openssl command is not installed (apt-get install openssl)');
      throw new Error(`openssl failed to generate a certificate: ${e.stderr?.toString().trim() ?? e.message}`);
    }
    return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
