import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ChatFunction } from './chat-function.js';

export interface ChatHandlersProps {
  logRetention: RetentionDays;
  /** Settings every handler reads (retention, limits). */
  environment: Record<string, string>;
}

/**
 * The eight Lambdas, one per route. Each is its own bundle so it carries only the clients
 * it imports; the stack decides what each may touch.
 */
export class ChatHandlers extends Construct {
  readonly startChat: ChatFunction;
  readonly listRooms: ChatFunction;
  readonly getRoom: ChatFunction;
  readonly roomMessages: ChatFunction;
  readonly closeRoom: ChatFunction;
  readonly connect: ChatFunction;
  readonly message: ChatFunction;
  readonly disconnect: ChatFunction;

  constructor(scope: Construct, id: string, props: ChatHandlersProps) {
    super(scope, id);
    const make = (fnId: string, handlerFile: string, description: string) =>
      new ChatFunction(this, fnId, {
        handlerFile,
        description,
        logRetention: props.logRetention,
        environment: props.environment,
      });
    this.startChat = make('StartChat', 'http/start-chat.ts', 'POST /api/chat/start/: a visitor opens a room');
    this.listRooms = make('ListRooms', 'http/list-rooms.ts', "GET /api/chat/rooms/: the owner's rooms");
    this.getRoom = make('GetRoom', 'http/get-room.ts', 'GET /api/chat/rooms/<id>/: one room, open or closed');
    this.roomMessages = make('RoomMessages', 'http/room-messages.ts', 'GET /api/chat/rooms/<id>/messages/: history');
    this.closeRoom = make('CloseRoom', 'http/close-room.ts', 'POST /api/chat/rooms/<id>/close/: the owner ends a chat');
    this.connect = make('WsConnect', 'ws/connect.ts', 'WebSocket $connect: authorise and remember the socket');
    this.message = make('WsMessage', 'ws/message.ts', 'WebSocket $default: store and broadcast a message');
    this.disconnect = make('WsDisconnect', 'ws/disconnect.ts', 'WebSocket $disconnect: forget the socket');
  }

  get all(): ChatFunction[] {
    return [this.startChat, this.listRooms, this.getRoom, this.roomMessages, this.closeRoom, this.connect, this.message, this.disconnect];
  }
}
