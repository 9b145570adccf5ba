// Verifies a tenantd access token with the `jose` library, using only the
// server's /.well-known/jwks.json: proof that a standard JWT library
// accepts our tokens (and refuses a tampered one).
// usage: node verify.mjs BASE_URL TOKEN
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [base, token] = process.argv.slice(2);
const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', base));
const { payload, protectedHeader } = await jwtVerify(token, jwks, {
  issuer: 'tenantd',
  algorithms: ['EdDSA'],
});
const parts = token.split('.');
const body = JSON.parse(Buffer.from(parts[1], 'base64url'));
body.sub = 'someone-else';
body.role = 'superadmin';
const forged = [parts[0], Buffer.from(JSON.stringify(body)).toString('base64url'), parts[2]].join('.');
let forgedAccepted = true;
try {
  await jwtVerify(forged, jwks, { issuer: 'tenantd', algorithms: ['EdDSA'] });
} catch {
  forgedAccepted = false;
}
console.log(JSON.stringify({ alg: protectedHeader.alg, sub: payload.sub, role: payload.role,
                             tid: payload.tid ?? null, forgedAccepted }));
