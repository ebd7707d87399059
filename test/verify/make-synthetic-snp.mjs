#!/usr/bin/env node
// Synthetic SEV-SNP evidence for the verifier's tests (test/verify/snp-verify.test.ts), made
// with TEST KEYS — nothing here is AMD's: an ARK → ASK → VCEK chain (and ASVK → VLEK) per
// product, laid out as AMD's KDS issues them (AMD 57230: RSA-PSS/SHA-384 with a 48-byte
// salt, CN=ARK-<product>, SEV-<product>, SEV-VLEK-<product>, SEV-VCEK, SEV-VLEK; the VCEK
// extensions 1.3.6.1.4.1.3704.1.{1,2,3.x,4}), and reports of versions 2, 3 and 5 signed
// with the VCEK/VLEK (ECDSA P-384/SHA-384 over bytes 0x000–0x29F, r and s little-endian in
// 72-byte fields at 0x2A0 and 0x2E8). The report bytes are written here from the ABI
// specification's table, independently of src/formats/snp/attestation-report.ts.
//
//   node test/verify/make-synthetic-snp.mjs      (needs the openssl command, 3.x)
//
// Writes test/verify/synthetic/ (committed; the keys are thrown away, so each run makes new
// bytes — rerun only when the set must change, and commit the outputs with the script).
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'synthetic');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-synth-snp-'));
process.on('exit', () => fs.rmSync(TMP, { recursive: true, force: true }));
fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });

const ssl = (...args) => execFileSync('openssl', args, { cwd: TMP, stdio: ['ignore', 'pipe', 'pipe'] });
const t = (f) => path.join(TMP, f);
const PSS = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:48', '-sigopt', 'rsa_mgf1_md:sha384', '-sha384'];
const DN = (cn) => `/OU=Engineering/C=US/L=Santa Clara/ST=CA/O=Test Not Advanced Micro Devices/CN=${cn}`;
const hex = (b) => Buffer.from(b).toString('hex');
const der = (hexBytes) => hexBytes.match(/../g).join(':');
const intDer = (n) => {
  const body = n < 0x80 ? [n] : [0, n]; // a positive INTEGER (a leading zero when the top bit is set)
  return der(hex(Buffer.from([0x02, body.length, ...body])));
};
const ia5Der = (s) => der(hex(Buffer.from([0x16, s.length, ...Buffer.from(s, 'latin1')])));
let serial = 1;

function rsaKey(name) {
  ssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', t(`${name}.key`));
}
function ecKey(name) {
  ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', t(`${name}.key`));
}
/** a certificate for `name`'s key with `cn`, issued by `issuer` (its own name for a root) */
function cert(name, cn, issuer, extLines, days = 9000) {
  fs.writeFileSync(t(`${name}.ext`), `[ext]\n${extLines.join('\n')}\n`);
  ssl('req', '-new', '-key', t(`${name}.key`), '-subj', DN(cn), '-out', t(`${name}.csr`));
  const args = ['x509', '-req', '-in', t(`${name}.csr`), '-days', String(days), '-set_serial', String(serial++), '-extfile', t(`${name}.ext`), '-extensions', 'ext', ...PSS, '-out', t(`${name}.pem`)];
  if (issuer === name) args.push('-signkey', t(`${name}.key`));
  else args.push('-CA', t(`${issuer}.pem`), '-CAkey', t(`${issuer}.key`));
  ssl(...args);
  return fs.readFileSync(t(`${name}.pem`));
}
const CA = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
const CA_INT = ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign'];

/** TCB_VERSION bytes (Milan/Genoa: bl 0, tee 1, snp 6, ucode 7; Turin: fmc 0, bl 1, tee 2, snp 3, ucode 7) */
function tcbBytes(product, tcb) {
  const b = Buffer.alloc(8);
  if (product === 'Turin') { b[0] = tcb.fmc; b[1] = tcb.bootloader; b[2] = tcb.tee; b[3] = tcb.snp; b[7] = tcb.microcode; }
  else { b[0] = tcb.bootloader; b[1] = tcb.tee; b[6] = tcb.snp; b[7] = tcb.microcode; }
  return b;
}
function leafExt(product, productName, tcb, hwid, vlek) {
  const lines = ['keyUsage=critical,digitalSignature', `1.3.6.1.4.1.3704.1.1=DER:${intDer(product === 'Turin' ? 1 : 0)}`, `1.3.6.1.4.1.3704.1.2=DER:${ia5Der(productName)}`];
  if (product === 'Turin') lines.push(`1.3.6.1.4.1.3704.1.3.9=DER:${intDer(tcb.fmc)}`);
  lines.push(`1.3.6.1.4.1.3704.1.3.1=DER:${intDer(tcb.bootloader)}`, `1.3.6.1.4.1.3704.1.3.2=DER:${intDer(tcb.tee)}`, `1.3.6.1.4.1.3704.1.3.3=DER:${intDer(tcb.snp)}`, `1.3.6.1.4.1.3704.1.3.8=DER:${intDer(tcb.microcode)}`);
  // hwID: the raw chip ID bytes as the extension value (as AMD's VCEKs carry it, not DER-wrapped)
  if (hwid) lines.push(`1.3.6.1.4.1.3704.1.4=DER:${der(hex(hwid))}`);
  if (vlek) lines.push(`1.3.6.1.4.1.3704.1.5=DER:${ia5Der('synthetic-csp.example')}`);
  return lines;
}

const products = { Milan: {}, Genoa: {}, Turin: {} };
for (const p of Object.keys(products)) {
  const lc = p.toLowerCase();
  rsaKey(`${lc}_ark`); rsaKey(`${lc}_ask`); rsaKey(`${lc}_asvk`);
  products[p].ark = cert(`${lc}_ark`, `ARK-${p}`, `${lc}_ark`, CA);
  products[p].ask = cert(`${lc}_ask`, `SEV-${p}`, `${lc}_ark`, CA_INT);
  products[p].asvk = cert(`${lc}_asvk`, `SEV-VLEK-${p}`, `${lc}_ark`, CA_INT);
  for (const r of ['ark', 'ask', 'asvk']) fs.writeFileSync(path.join(OUT, `${lc}_${r}.pem`), products[p][r]);
}

const TCB = { Milan: { bootloader: 3, tee: 0, snp: 8, microcode: 115 }, Genoa: { bootloader: 10, tee: 0, snp: 23, microcode: 84 }, Turin: { fmc: 1, bootloader: 1, tee: 1, snp: 4, microcode: 81 } };
const CHIP = {
  Milan: crypto.createHash('sha512').update('synthetic milan chip').digest(),
  Genoa: crypto.createHash('sha512').update('synthetic genoa chip').digest(),
  Turin: Buffer.concat([crypto.createHash('sha512').update('synthetic turin chip').digest().subarray(0, 8), Buffer.alloc(56)]),
};
const CPUID = { Milan: [0x19, 0x01, 0x01], Genoa: [0x19, 0x11, 0x01], Turin: [0x1a, 0x02, 0x01] };

// leaves
ecKey('vcek_milan'); cert('vcek_milan', 'SEV-VCEK', 'milan_ask', leafExt('Milan', 'Milan-B0', TCB.Milan, CHIP.Milan));
ecKey('vcek_genoa'); cert('vcek_genoa', 'SEV-VCEK', 'genoa_ask', leafExt('Genoa', 'Genoa', TCB.Genoa, CHIP.Genoa));
ecKey('vcek_turin'); cert('vcek_turin', 'SEV-VCEK', 'turin_ask', leafExt('Turin', 'Turin', TCB.Turin, CHIP.Turin.subarray(0, 8)));
ecKey('vlek_milan'); cert('vlek_milan', 'SEV-VLEK', 'milan_asvk', leafExt('Milan', 'Milan', TCB.Milan, null, true));
// a VCEK whose key is RSA (the wrong key type) and one on P-256, both otherwise well formed
rsaKey('vcek_rsa'); cert('vcek_rsa', 'SEV-VCEK', 'milan_ask', leafExt('Milan', 'Milan-B0', TCB.Milan, CHIP.Milan));
ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', t('vcek_p256.key'));
cert('vcek_p256', 'SEV-VCEK', 'milan_ask', leafExt('Milan', 'Milan-B0', TCB.Milan, CHIP.Milan));
// a VCEK for another chip and TCB, under the same (synthetic) Milan ASK
ecKey('vcek_milan_other'); cert('vcek_milan_other', 'SEV-VCEK', 'milan_ask', leafExt('Milan', 'Milan-B0', { ...TCB.Milan, snp: 9 }, crypto.createHash('sha512').update('another chip').digest()));
for (const n of ['vcek_milan', 'vcek_genoa', 'vcek_turin', 'vlek_milan', 'vcek_rsa', 'vcek_p256', 'vcek_milan_other']) fs.copyFileSync(t(`${n}.pem`), path.join(OUT, `${n}.pem`));
// the Milan VCEK as DER too (KDS serves DER)
ssl('x509', '-in', t('vcek_milan.pem'), '-outform', 'DER', '-out', path.join(OUT, 'vcek_milan.der'));

/** ATTESTATION_REPORT (ABI spec table), signed by `key` */
function report({ version, product, signingKey = 0, keyFile, policy = 0x30000n, measurementSeed }) {
  const r = Buffer.alloc(0x4a0);
  r.writeUInt32LE(version, 0x000);
  r.writeUInt32LE(1, 0x004); // GUEST_SVN
  r.writeBigUInt64LE(policy, 0x008);
  Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex').copy(r, 0x010); // FAMILY_ID
  Buffer.from('1112131415161718191a1b1c1d1e1f20', 'hex').copy(r, 0x020); // IMAGE_ID
  r.writeUInt32LE(0, 0x030); // VMPL
  r.writeUInt32LE(1, 0x034); // SIGNATURE_ALGO: ECDSA P-384 with SHA-384
  const tcb = tcbBytes(product, TCB[product]);
  tcb.copy(r, 0x038); // CURRENT_TCB
  r.writeBigUInt64LE(0x25n, 0x040); // PLATFORM_INFO: SMT_EN, ECC_EN, ALIAS_CHECK_COMPLETE
  r.writeUInt32LE(signingKey << 2, 0x048); // KEY_INFO
  Buffer.from('synthetic report data'.padEnd(64, '\0'), 'latin1').copy(r, 0x050);
  crypto.createHash('sha384').update(measurementSeed).digest().copy(r, 0x090); // MEASUREMENT
  crypto.createHash('sha256').update('host data').digest().copy(r, 0x0c0); // HOST_DATA
  crypto.randomBytes(32).copy(r, 0x140); // REPORT_ID
  tcb.copy(r, 0x180); // REPORTED_TCB
  if (version >= 3) { r[0x188] = CPUID[product][0]; r[0x189] = CPUID[product][1]; r[0x18a] = CPUID[product][2]; }
  if (signingKey === 0) CHIP[product].copy(r, 0x1a0); // CHIP_ID (zero: masked, as VLEK hosts do)
  tcb.copy(r, 0x1e0); // COMMITTED_TCB
  r[0x1e8] = 21; r[0x1e9] = 55; r[0x1ea] = 1; // CURRENT_BUILD, _MINOR, _MAJOR
  r[0x1ec] = 21; r[0x1ed] = 55; r[0x1ee] = 1;
  tcb.copy(r, 0x1f0); // LAUNCH_TCB
  if (version >= 5) { r.writeBigUInt64LE(0x3n, 0x1f8); r.writeBigUInt64LE(0x7n, 0x200); } // mitigation vectors
  const key = crypto.createPrivateKey(fs.readFileSync(t(`${keyFile}.key`)));
  const sig = crypto.sign('sha384', r.subarray(0, 0x2a0), { key, dsaEncoding: 'ieee-p1363' });
  Buffer.from(sig.subarray(0, 48)).reverse().copy(r, 0x2a0); // R, little-endian
  Buffer.from(sig.subarray(48, 96)).reverse().copy(r, 0x2e8); // S, little-endian
  return r;
}

const reports = {
  'report-v2-milan.bin': { version: 2, product: 'Milan', keyFile: 'vcek_milan', measurementSeed: 'v2' },
  'report-v3-milan.bin': { version: 3, product: 'Milan', keyFile: 'vcek_milan', measurementSeed: 'v3', policy: 0xb0000n },
  'report-v5-milan.bin': { version: 5, product: 'Milan', keyFile: 'vcek_milan', measurementSeed: 'v5' },
  'report-v3-genoa.bin': { version: 3, product: 'Genoa', keyFile: 'vcek_genoa', measurementSeed: 'genoa' },
  'report-v5-turin.bin': { version: 5, product: 'Turin', keyFile: 'vcek_turin', measurementSeed: 'turin', policy: 0x1b0000n },
  'report-v3-milan-vlek.bin': { version: 3, product: 'Milan', signingKey: 1, keyFile: 'vlek_milan', measurementSeed: 'vlek' },
};
const made = {};
for (const [f, spec] of Object.entries(reports)) {
  made[f] = report(spec);
  fs.writeFileSync(path.join(OUT, f), made[f]);
}

// an extended report: the v3 Milan report followed by its certificate table (GUIDs in RFC 4122 byte order)
const GUID = { vcek: '63da758d-e664-4564-adc5-f4b93be8accd', ask: '4ab7b379-bbac-4fe4-a02f-05aef327c782', ark: 'c0b406a4-a803-4952-9743-3fb6014cd0ae', other: '11111111-2222-3333-4444-555555555555' };
const derOf = (pemFile) => ssl('x509', '-in', pemFile, '-outform', 'DER');
const entries = [['vcek', derOf(t('vcek_milan.pem'))], ['ask', derOf(t('milan_ask.pem'))], ['ark', derOf(t('milan_ark.pem'))], ['other', Buffer.from('not a certificate')]];
const head = Buffer.alloc((entries.length + 1) * 24);
let off = head.length;
entries.forEach(([g, d], i) => {
  Buffer.from(GUID[g].replace(/-/g, ''), 'hex').copy(head, i * 24);
  head.writeUInt32LE(off, i * 24 + 16);
  head.writeUInt32LE(d.length, i * 24 + 20);
  off += d.length;
});
fs.writeFileSync(path.join(OUT, 'report-v3-milan-ext.bin'), Buffer.concat([made['report-v3-milan.bin'], head, ...entries.map(([, d]) => d)]));

fs.writeFileSync(path.join(OUT, 'expected.json'), JSON.stringify({
  note: 'written by make-synthetic-snp.mjs from the values it put into the reports and certificates (test keys; not AMD\'s)',
  chipId: Object.fromEntries(Object.entries(CHIP).map(([k, v]) => [k, hex(v)])),
  reportedTcb: TCB,
  measurement: Object.fromEntries(Object.entries(reports).map(([f, s]) => [f, crypto.createHash('sha384').update(s.measurementSeed).digest('hex')])),
}, null, 2) + '\n');
console.log(`wrote ${fs.readdirSync(OUT).length} files to ${path.relative(process.cwd(), OUT)}`);
