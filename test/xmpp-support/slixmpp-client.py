#!/usr/bin/python3
"""A scripted slixmpp client for the XMPP edge tests (python3-slixmpp from Debian).

argv: jid password host port mechanism cafile
stdin: one JSON command per line; stdout: one JSON event per line.
Commands: {"op": "roster"} | {"op": "presence", "show": .., "status": ..} | {"op": "add", "jid": .., "name": ..}
          {"op": "remove", "jid": ..} | {"op": "message", "to": .., "body": ..} | {"op": "quit"}
"""
import asyncio
import json
import ssl
import sys

import slixmpp


def emit(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, mechanism, cafile):
        super().__init__(jid, password, sasl_mech=mechanism)
        ctx = ssl.create_default_context(cafile=cafile)
        self.ssl_context = ctx
        self.register_plugin('xep_0199')
        self.add_event_handler('session_start', self.on_start)
        self.add_event_handler('failed_auth', lambda _: emit(event='failed_auth'))
        self.add_event_handler('auth_success', lambda _: emit(event='auth_success', mechanism=mechanism))
        self.add_event_handler('disconnected', lambda _: emit(event='disconnected'))
        self.add_event_handler('presence', self.on_presence)
        self.add_event_handler('message', self.on_message)
        self.add_event_handler('message_error', self.on_message)
        self.add_event_handler('roster_update', self.on_roster_update)

    async def on_start(self, _):
        emit(event='session_start', jid=str(self.boundjid))
        asyncio.ensure_future(self.commands())

    def on_presence(self, p):
        emit(event='presence', frm=str(p['from']), type=p['type'], show=p['show'], status=p['status'])

    def on_message(self, m):
        emit(event='message', frm=str(m['from']), type=m['type'], body=m['body'],
             error=m['error']['condition'] if m['type'] == 'error' else None)

    def on_roster_update(self, iq):
        items = iq['roster']['items']
        emit(event='roster_push', items={str(j): {'subscription': v['subscription'], 'name': v['name']} for j, v in items.items()})

    async def commands(self):
        loop = asyncio.get_event_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            line = await reader.readline()
            if not line:
                break
            cmd = json.loads(line)
            op = cmd['op']
            try:
                if op == 'roster':
                    iq = await self.get_roster()
                    items = iq['roster']['items']
                    emit(event='roster', items={str(j): {'subscription': v['subscription'], 'name': v['name'], 'groups': sorted(v['groups'])} for j, v in items.items()})
                elif op == 'presence':
                    self.send_presence(pshow=cmd.get('show'), pstatus=cmd.get('status'))
                    emit(event='sent', op=op)
                elif op == 'add':
                    await self.update_roster(cmd['jid'], name=cmd.get('name', ''))
                    emit(event='done', op=op)
                elif op == 'remove':
                    await self.del_roster_item(cmd['jid'])
                    emit(event='done', op=op)
                elif op == 'subscription':
                    self.send_presence(pto=cmd['to'], ptype=cmd['type'])
                    emit(event='sent', op=op)
                elif op == 'message':
                    self.send_message(mto=cmd['to'], mbody=cmd['body'], mtype='chat')
                    emit(event='sent', op=op)
                elif op == 'quit':
                    self.disconnect()
                    return
            except Exception as e:  # report, keep going: the test decides
                emit(event='error', op=op, error=repr(e))


def main():
    jid, password, host, port, mechanism, cafile = sys.argv[1:7]
    client = Client(jid, password, mechanism, cafile)
    client.connect(address=(host, int(port)), force_starttls=True)
    client.process(forever=False)


if __name__ == '__main__':
    main()
