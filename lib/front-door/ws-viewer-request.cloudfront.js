// CloudFront Function (cloudfront-js-2.0), viewer request, on the /ws/* behaviour.
//
// API Gateway WebSocket stages accept no path after the stage, but the clients use the
// paths of docs/api.md. This maps them onto the stage root and carries the room in the query:
//   /ws/chat/<room_id>/?visitor=T   ->  /<stage>?room=<room_id>&visitor=T
//   /ws/chat/<room_id>/?token=JWT   ->  /<stage>?room=<room_id>&token=JWT
//   /ws/inbox/?token=JWT            ->  /<stage>?inbox=1&token=JWT
// Anything else under /ws/ is answered 404 here and never reaches a Lambda. The room id
// must be a UUID; a client-supplied `room` or `inbox` parameter is replaced, not trusted.
//
// The stack substitutes the stage path for __STAGE_PATH__ at synth time; the local gateway
// and the unit tests run this same file in Node.
var STAGE_PATH = '__STAGE_PATH__';
var ROOM_PATH = /^\/ws\/chat\/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\/?$/;
var INBOX_PATH = /^\/ws\/inbox\/?$/;

// biome-ignore lint/correctness/noUnusedVariables: CloudFront calls the function named handler.
function handler(event) {
  var request = event.request;
  var query = request.querystring || {};
  var room = ROOM_PATH.exec(request.uri);
  delete query.room;
  delete query.inbox;
  if (room) {
    query.room = { value: room[1].toLowerCase() };
  } else if (INBOX_PATH.test(request.uri)) {
    query.inbox = { value: '1' };
  } else {
    return { statusCode: 404, statusDescription: 'Not Found' };
  }
  request.uri = STAGE_PATH;
  request.querystring = query;
  return request;
}
