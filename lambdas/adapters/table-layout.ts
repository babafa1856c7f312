/**
 * The single-table layout, shared by the adapter that reads and writes it and by the CDK
 * construct that creates it (and, through the synthesized template, by the local stack).
 *
 *   item               pk                 sk              indexes
 *   room               ROOM#<room>        ROOM            by-owner: OWNER#<owner> / <created_at>#<room>
 *   message            ROOM#<room>        MSG#<id>        by-time (LSI): <created_at>#<id>
 *   room connection    ROOM#<room>        CONN#<conn>
 *   connection         CONN#<conn>        CONN
 *   inbox connection   OWNER#<owner>      INBOX#<conn>
 *   start rate limit   RATE#START#<ip>    RATE            (<ip>: IPv4, or an IPv6 /64 as <prefix>::/64)
 *   owner start limit  RATE#OWNER#<owner> RATE
 *
 * Every request reads one partition by key: a room's messages and connections live in
 * the room's partition, an owner's rooms in the owner's index partition. Nothing scans.
 * The keys, prefixes and items themselves are built in item-codec.ts.
 */
export const TableLayout = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL deletes the item some time after. Reads also filter on it. */
  ttlAttribute: 'expires_at',
  ownerIndex: { name: 'by-owner', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** A local index, so history reads can be strongly consistent and ordered by time. */
  timeIndex: { name: 'by-time', sortKey: 'lsi1sk' },
} as const;
