# A minimal Jupyter kernel built on jupyter_client's Session, whose reply
# to an execute_request depends on the code, so that a test can make it
# break the protocol in one chosen way:
#
#   aborted         replies with status "aborted" and no other fields
#   no-idle         replies ok but never publishes the idle status
#   input           sends an input_request although stdin is not allowed
#   bad-signature   publishes a stream message with a wrong signature
#   unknown-status  replies with the status "weird"
#   restarting      publishes the state "restarting" and never replies
#
# Any other code gets a normal ok reply that echoes the code on stdout.
import json
import sys
import time

import zmq
from jupyter_client.session import Session

with open(sys.argv[1]) as connection_file:
    connection = json.load(connection_file)

session = Session(key=connection["key"].encode(), signature_scheme=connection["signature_scheme"])
context = zmq.Context()


def bind(socket_type, port_name):
    socket = context.socket(socket_type)
    socket.bind("tcp://%s:%d" % (connection["ip"], connection[port_name]))
    return socket


shell = bind(zmq.ROUTER, "shell_port")
iopub = bind(zmq.PUB, "iopub_port")
stdin = bind(zmq.ROUTER, "stdin_port")
control = bind(zmq.ROUTER, "control_port")
heartbeat = bind(zmq.REP, "hb_port")
execution_count = 0


def publish(msg_type, content, parent):
    session.send(iopub, msg_type, content, parent=parent, ident=[msg_type.encode()])


def reply_kernel_info(idents, request):
    publish("status", {"execution_state": "busy"}, request)
    content = {
        "status": "ok",
        "protocol_version": "5.3",
        "implementation": "scripted",
        "implementation_version": "1.0",
        "language_info": {"name": "scripted", "version": "1.0", "file_extension": ".txt"},
        "banner": "",
    }
    session.send(shell, "kernel_info_reply", content, parent=request, ident=idents)
    publish("status", {"execution_state": "idle"}, request)


def reply_execute(idents, request):
    global execution_count
    execution_count += 1
    code = request["content"]["code"]
    publish("status", {"execution_state": "busy"}, request)
    publish("execute_input", {"code": code, "execution_count": execution_count}, request)
    reply = {"status": "ok", "execution_count": execution_count, "user_expressions": {}}

    if code == "aborted":
        reply = {"status": "aborted"}
    elif code == "unknown-status":
        reply["status"] = "weird"
    elif code == "input":
        # A ROUTER drops a message for a peer whose connection it has not
        # seen yet, so retry until the client's stdin socket is known.
        stdin.setsockopt(zmq.ROUTER_MANDATORY, 1)
        for _ in range(100):
            try:
                session.send(stdin, "input_request", {"prompt": "name? ", "password": False},
                             parent=request, ident=idents)
                break
            except zmq.ZMQError:
                time.sleep(0.05)
        # Wait for the input_reply as a real kernel does; "\x04" is end of
        # file, which ipykernel turns into EOFError.
        if stdin.poll(5000):
            _, answer = session.recv(stdin)
            if answer["content"].get("value") == "\x04":
                reply.update(status="error", ename="EOFError", evalue="end of file",
                             traceback=["EOFError: end of file"])
    elif code == "restarting":
        # As a kernel manager announces a restart: no parent, and no reply.
        session.send(iopub, "status", {"execution_state": "restarting"}, parent={},
                     ident=[b"status"])
        return
    elif code == "bad-signature":
        message = session.msg("stream", {"name": "stdout", "text": "forged\n"}, parent=request)
        frames = session.serialize(message, ident=[b"stream.stdout"])
        frames[2] = b"0" * 64
        iopub.send_multipart(frames)
        publish("stream", {"name": "stdout", "text": "genuine\n"}, request)
    else:
        publish("stream", {"name": "stdout", "text": code + "\n"}, request)

    session.send(shell, "execute_reply", reply, parent=request, ident=idents)
    if code != "no-idle":
        publish("status", {"execution_state": "idle"}, request)


poller = zmq.Poller()
poller.register(shell, zmq.POLLIN)
poller.register(control, zmq.POLLIN)
while True:
    for socket, _ in poller.poll():
        idents, request = session.recv(socket, mode=0)
        msg_type = request["header"]["msg_type"]
        if msg_type == "kernel_info_request":
            reply_kernel_info(idents, request)
        elif msg_type == "execute_request":
            reply_execute(idents, request)
