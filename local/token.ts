/**
 * `npm run -s token -- <owner-uuid>` prints an owner access token for the local stack,
 * signed with JWT_SECRET (or the local default), valid for 24 hours.
 */
import { isUuid, jwtSecretFromEnv, signOwnerToken } from './owner-token.js';

const ownerId = process.argv[2];
if (!ownerId || !isUuid(ownerId)) {
  console.error(
    `usage: npm run -s token -- <owner-uuid>  (got ${ownerId ? `"${ownerId}", not a UUID` : 'no owner id'})`,
  );
  process.exit(1);
}
console.log(await signOwnerToken(ownerId, jwtSecretFromEnv()));
