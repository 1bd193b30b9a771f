/*
 * Copyright 2026 The nbci authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <zmq.h>

#include "nbci-kernel-session.h"
#include "nbci-private.h"

#define TEST_KEY "0123456789abcdef0123456789abcdef"

/* How long a test waits for a message on loopback before failing. */
#define TEST_RECV_TIMEOUT_MS 5000

static GPtrArray *
test_frames_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
}

static void
test_frames_add(GPtrArray *frames, const gchar *text)
{
	g_ptr_array_add(frames, g_bytes_new(text, strlen(text)));
}

static const gchar *
test_frame_text(GPtrArray *frames, guint index, gsize *size)
{
	return g_bytes_get_data(frames->pdata[index], size);
}

/* Runs /usr/bin/python3 with @script and @args, returning its stdout
 * without the final newline. */
static gchar *
test_run_python(const gchar *script, const gchar *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree gchar *output = NULL;
	g_autofree gchar *errors = NULL;
	g_autoptr(GError) error = NULL;
	gint status = 0;

	g_ptr_array_add(argv, (gpointer) "/usr/bin/python3");
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv, (gpointer)script);
	for (guint i = 0; args != NULL && args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);

	g_spawn_sync(NULL,
		     (gchar **)argv->pdata,
		     NULL,
		     G_SPAWN_DEFAULT,
		     NULL,
		     NULL,
		     &output,
		     &errors,
		     &status,
		     &error);
	g_assert_no_error(error);
	if (!g_spawn_check_wait_status(status, &error))
		g_printerr("python3 failed: %s\n", errors);
	g_assert_no_error(error);
	g_strchomp(output);
	return g_steal_pointer(&output);
}

/* Serializes a message and returns the frames after the delimiter. */
static GPtrArray *
test_serialize(NbciKernelSession *session, NbciKernelMessage *message)
{
	g_autoptr(GPtrArray) frames = nbci_kernel_session_serialize(session, message);

	g_assert_cmpuint(frames->len, ==, 6);
	return g_steal_pointer(&frames);
}

static void
test_kernel_session_sign_known_answer(void)
{
	/* The expected value comes from Python's hmac and hashlib, a second
	 * implementation, fed the same four frames. */
	const gchar *script = "import hmac, hashlib, sys\n"
			      "m = hmac.new(sys.argv[1].encode(), digestmod=hashlib.sha256)\n"
			      "for frame in sys.argv[2:]:\n"
			      "    m.update(frame.encode())\n"
			      "print(m.hexdigest())\n";
	const gchar *dicts[] = {"{\"msg_id\":\"a\",\"msg_type\":\"kernel_info_request\"}",
				"{}",
				"{}",
				"{\"text\":\"gr\xc3\xbc\xc3\x9f\"}"};
	const gchar *args[] = {TEST_KEY, dicts[0], dicts[1], dicts[2], dicts[3], NULL};
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(GPtrArray) frames = test_frames_new();
	g_autofree gchar *expected = test_run_python(script, args);
	g_autofree gchar *signature = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(dicts); i++)
		test_frames_add(frames, dicts[i]);
	signature = nbci_kernel_session_sign(session, (GBytes *const *)frames->pdata);
	g_assert_cmpuint(strlen(expected), ==, 64);
	g_assert_cmpstr(signature, ==, expected);
}

static void
test_kernel_session_sign_empty_key(void)
{
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new("");
	g_autoptr(NbciKernelMessage) message = NULL;
	g_autoptr(GPtrArray) frames = NULL;
	gsize size = 0;

	message = nbci_kernel_session_new_message(session, "kernel_info_request", NULL, NULL);
	frames = test_serialize(session, message);
	test_frame_text(frames, 1, &size);
	g_assert_cmpuint(size, ==, 0);
}

static void
test_kernel_session_header(void)
{
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelMessage) parent = NULL;
	g_autoptr(NbciKernelMessage) message = NULL;
	g_autoptr(JsonObject) content = json_object_new();
	g_autoptr(GPtrArray) frames = NULL;
	g_autoptr(GRegex) date_regex = NULL;
	const gchar *header_text;
	gsize size = 0;

	json_object_set_string_member(content, "code", "print(1)");
	parent = nbci_kernel_session_new_message(session, "kernel_info_request", NULL, NULL);
	message = nbci_kernel_session_new_message(session, "execute_request", content, parent);

	g_assert_cmpstr(nbci_kernel_message_get_msg_type(message), ==, "execute_request");
	g_assert_true(g_uuid_string_is_valid(nbci_kernel_message_get_msg_id(message)));
	g_assert_cmpstr(nbci_kernel_message_get_msg_id(message),
			!=,
			nbci_kernel_message_get_msg_id(parent));
	g_assert_cmpstr(nbci_kernel_message_get_parent_msg_id(message),
			==,
			nbci_kernel_message_get_msg_id(parent));
	g_assert_cmpstr(json_object_get_string_member(message->header, "session"),
			==,
			nbci_kernel_session_get_id(session));
	g_assert_cmpstr(json_object_get_string_member(message->header, "version"), ==, "5.3");
	g_assert_cmpstr(json_object_get_string_member(message->header, "username"),
			==,
			g_get_user_name());
	date_regex = g_regex_new("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$",
				 G_REGEX_DEFAULT,
				 G_REGEX_MATCH_DEFAULT,
				 NULL);
	g_assert_true(g_regex_match(date_regex,
				    nbci_kernel_message_get_date(message),
				    G_REGEX_MATCH_DEFAULT,
				    NULL));

	/* Each dict is one compact JSON frame. */
	frames = test_serialize(session, message);
	header_text = test_frame_text(frames, 2, &size);
	g_assert_cmpint(header_text[0], ==, '{');
	g_assert_null(memchr(header_text, '\n', size));
	g_assert_null(memchr(header_text, ' ', size));
}

/* jupyter_client's own Session checks our signature and parses our
 * frames. */
static void
test_kernel_session_jupyter_client_reads_ours(void)
{
	const gchar *script =
	    "import base64, sys\n"
	    "from jupyter_client.session import Session\n"
	    "s = Session(key=sys.argv[1].encode(), check_pid=False)\n"
	    "frames = [base64.b64decode(f) for f in sys.argv[2:]]\n"
	    "msg = s.deserialize(frames)\n"
	    "print(msg['header']['msg_type'], msg['content']['code'], msg['header']['version'])\n";
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelMessage) message = NULL;
	g_autoptr(JsonObject) content = json_object_new();
	g_autoptr(GPtrArray) frames = NULL;
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *output = NULL;

	json_object_set_string_member(content, "code", "x = '\xc3\xa9t\xc3\xa9'");
	message = nbci_kernel_session_new_message(session, "execute_request", content, NULL);
	frames = test_serialize(session, message);

	g_ptr_array_add(args, g_strdup(TEST_KEY));
	for (guint i = 1; i < frames->len; i++) {
		gsize size = 0;
		const gchar *data = test_frame_text(frames, i, &size);
		g_ptr_array_add(args, g_base64_encode((const guchar *)data, size));
	}
	g_ptr_array_add(args, NULL);
	output = test_run_python(script, (const gchar *const *)args->pdata);
	g_assert_cmpstr(output, ==, "execute_request x = '\xc3\xa9t\xc3\xa9' 5.3");
}

/* We check the signature of frames made by jupyter_client's Session and
 * parse them, tolerating the keys we do not know. */
static void
test_kernel_session_reads_jupyter_client(void)
{
	const gchar *script =
	    "import base64, sys\n"
	    "from jupyter_client.session import Session\n"
	    "s = Session(key=sys.argv[1].encode(), check_pid=False)\n"
	    "msg = s.msg('stream', {'name': 'stdout', 'text': 'hi\\n', 'extra': [1, 2]})\n"
	    "frames = s.serialize(msg, ident=[b'stream.stdout'])\n"
	    "frames.append(b'\\x00binary buffer')\n"
	    "print(' '.join(base64.b64encode(f).decode() for f in frames))\n";
	const gchar *args[] = {TEST_KEY, NULL};
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelMessage) message = NULL;
	g_autoptr(GPtrArray) frames = test_frames_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *output = test_run_python(script, args);
	g_auto(GStrv) encoded = g_strsplit(output, " ", -1);

	for (guint i = 0; encoded[i] != NULL; i++) {
		gsize size = 0;
		guchar *data = g_base64_decode(encoded[i], &size);
		g_ptr_array_add(frames, g_bytes_new_take(data, size));
	}
	message = nbci_kernel_session_parse(session, frames, &error);
	g_assert_no_error(error);
	g_assert_nonnull(message);
	g_assert_cmpstr(nbci_kernel_message_get_msg_type(message), ==, "stream");
	g_assert_cmpstr(json_object_get_string_member(message->content, "text"), ==, "hi\n");
	g_assert_true(json_object_has_member(message->content, "extra"));
}

/* A connected DEALER/ROUTER pair on a loopback TCP port. */
typedef struct {
	void *context;
	void *router;
	void *dealer;
} TestSocketPair;

static void
test_socket_pair_setup(TestSocketPair *pair, gconstpointer user_data)
{
	gchar endpoint[256];
	size_t endpoint_size = sizeof(endpoint);
	gint linger = 0;

	pair->context = zmq_ctx_new();
	g_assert_nonnull(pair->context);
	pair->router = zmq_socket(pair->context, ZMQ_ROUTER);
	pair->dealer = zmq_socket(pair->context, ZMQ_DEALER);
	zmq_setsockopt(pair->router, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(pair->dealer, ZMQ_LINGER, &linger, sizeof(linger));
	g_assert_cmpint(zmq_bind(pair->router, "tcp://127.0.0.1:*"), ==, 0);
	g_assert_cmpint(zmq_getsockopt(pair->router, ZMQ_LAST_ENDPOINT, endpoint, &endpoint_size),
			==,
			0);
	g_assert_cmpint(zmq_connect(pair->dealer, endpoint), ==, 0);
}

static void
test_socket_pair_teardown(TestSocketPair *pair, gconstpointer user_data)
{
	zmq_close(pair->router);
	zmq_close(pair->dealer);
	zmq_ctx_term(pair->context);
}

static void
test_wait_readable(void *socket)
{
	zmq_pollitem_t item = {socket, 0, ZMQ_POLLIN, 0};

	g_assert_cmpint(zmq_poll(&item, 1, TEST_RECV_TIMEOUT_MS), ==, 1);
}

/* Receives every frame of one message on @socket. */
static GPtrArray *
test_recv_frames(void *socket)
{
	GPtrArray *frames = test_frames_new();
	gint more = 1;

	test_wait_readable(socket);
	while (more) {
		zmq_msg_t part;
		size_t more_size = sizeof(more);

		zmq_msg_init(&part);
		g_assert_cmpint(zmq_msg_recv(&part, socket, 0), >=, 0);
		g_ptr_array_add(frames, g_bytes_new(zmq_msg_data(&part), zmq_msg_size(&part)));
		zmq_msg_close(&part);
		g_assert_cmpint(zmq_getsockopt(socket, ZMQ_RCVMORE, &more, &more_size), ==, 0);
	}
	return frames;
}

static void
test_send_frames(void *socket, GPtrArray *frames)
{
	for (guint i = 0; i < frames->len; i++) {
		gsize size = 0;
		const gchar *data = test_frame_text(frames, i, &size);
		gint flags = i + 1 < frames->len ? ZMQ_SNDMORE : 0;
		g_assert_cmpint(zmq_send(socket, data, size, flags), ==, (gint)size);
	}
}

/* Waits for a message on @socket, then receives it with the session. */
static NbciKernelMessage *
test_session_recv(NbciKernelSession *session, void *socket)
{
	NbciKernelMessage *message = NULL;
	g_autoptr(GError) error = NULL;

	test_wait_readable(socket);
	g_assert_true(nbci_kernel_session_recv(session, socket, "shell", &message, &error));
	g_assert_no_error(error);
	return message;
}

static void
test_kernel_session_round_trip(TestSocketPair *pair, gconstpointer user_data)
{
	g_autoptr(NbciKernelSession) client = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelSession) kernel = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelMessage) request = NULL;
	g_autoptr(NbciKernelMessage) received = NULL;
	g_autoptr(NbciKernelMessage) reply = NULL;
	g_autoptr(NbciKernelMessage) answer = NULL;
	g_autoptr(JsonObject) content = json_object_new();
	g_autoptr(GPtrArray) frames = NULL;
	g_autoptr(GPtrArray) reply_frames = NULL;
	g_autoptr(GError) error = NULL;
	gsize size = 0;

	/* The client sends a request, and the ROUTER receives the routing id
	 * as the first frame. */
	json_object_set_string_member(content, "code", "1 + 1");
	request = nbci_kernel_session_new_message(client, "execute_request", content, NULL);
	g_assert_true(nbci_kernel_session_send(client, pair->dealer, request, &error));
	g_assert_no_error(error);
	frames = test_recv_frames(pair->router);
	g_assert_cmpuint(frames->len, ==, 7);
	g_assert_cmpmem(test_frame_text(frames, 1, &size), size, "<IDS|MSG>", 9);
	received = nbci_kernel_session_parse(kernel, frames, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(json_object_get_string_member(received->content, "code"), ==, "1 + 1");
	g_assert_cmpstr(nbci_kernel_message_get_msg_id(received),
			==,
			nbci_kernel_message_get_msg_id(request));

	/* The kernel replies through the routing id, with the request as
	 * parent. */
	reply = nbci_kernel_session_new_message(kernel, "execute_reply", NULL, received);
	reply_frames = nbci_kernel_session_serialize(kernel, reply);
	g_ptr_array_insert(reply_frames, 0, g_bytes_ref(frames->pdata[0]));
	test_send_frames(pair->router, reply_frames);
	answer = test_session_recv(client, pair->dealer);
	g_assert_nonnull(answer);
	g_assert_cmpstr(nbci_kernel_message_get_msg_type(answer), ==, "execute_reply");
	g_assert_cmpstr(nbci_kernel_message_get_parent_msg_id(answer),
			==,
			nbci_kernel_message_get_msg_id(request));
	g_assert_cmpuint(nbci_kernel_session_get_dropped(client), ==, 0);
}

/* Sends @frames from the ROUTER to the DEALER, routed by the id of the
 * message the DEALER sent first. */
static void
test_send_to_dealer(TestSocketPair *pair, GPtrArray *frames)
{
	g_autoptr(NbciKernelSession) client = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelMessage) hello = NULL;
	g_autoptr(GPtrArray) hello_frames = NULL;

	hello = nbci_kernel_session_new_message(client, "kernel_info_request", NULL, NULL);
	g_assert_true(nbci_kernel_session_send(client, pair->dealer, hello, NULL));
	hello_frames = test_recv_frames(pair->router);
	g_ptr_array_insert(frames, 0, g_bytes_ref(hello_frames->pdata[0]));
	test_send_frames(pair->router, frames);
}

static void
test_kernel_session_bad_signature(TestSocketPair *pair, gconstpointer user_data)
{
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelSession) forger = nbci_kernel_session_new("another key");
	g_autoptr(NbciKernelMessage) forged = NULL;
	g_autoptr(NbciKernelMessage) received = NULL;
	g_autoptr(GPtrArray) frames = NULL;

	forged = nbci_kernel_session_new_message(forger, "execute_reply", NULL, NULL);
	frames = nbci_kernel_session_serialize(forger, forged);
	test_send_to_dealer(pair, frames);

	g_test_expect_message("nbci-kernel",
			      G_LOG_LEVEL_WARNING,
			      "dropped message with invalid signature on shell");
	received = test_session_recv(session, pair->dealer);
	g_test_assert_expected_messages();
	g_assert_null(received);
	g_assert_cmpuint(nbci_kernel_session_get_dropped(session), ==, 1);
}

static void
test_kernel_session_missing_signature(void)
{
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelSession) unsigned_session = nbci_kernel_session_new("");
	g_autoptr(NbciKernelMessage) message = NULL;
	g_autoptr(NbciKernelMessage) parsed = NULL;
	g_autoptr(GPtrArray) frames = NULL;
	g_autoptr(GError) error = NULL;

	message = nbci_kernel_session_new_message(unsigned_session, "status", NULL, NULL);
	frames = nbci_kernel_session_serialize(unsigned_session, message);
	parsed = nbci_kernel_session_parse(session, frames, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL);
	g_assert_null(parsed);
}

static void
test_kernel_session_tampered_content(void)
{
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelMessage) message = NULL;
	g_autoptr(NbciKernelMessage) parsed = NULL;
	g_autoptr(GPtrArray) frames = NULL;
	g_autoptr(GError) error = NULL;

	message = nbci_kernel_session_new_message(session, "status", NULL, NULL);
	frames = nbci_kernel_session_serialize(session, message);
	g_ptr_array_remove_index(frames, 5);
	test_frames_add(frames, "{\"execution_state\":\"idle\"}");
	parsed = nbci_kernel_session_parse(session, frames, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL);
	g_assert_null(parsed);
}

static void
test_kernel_session_replayed(void)
{
	g_autoptr(NbciKernelSession) sender = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelMessage) message = NULL;
	g_autoptr(NbciKernelMessage) first = NULL;
	g_autoptr(NbciKernelMessage) second = NULL;
	g_autoptr(GPtrArray) frames = NULL;
	g_autoptr(GError) error = NULL;

	message = nbci_kernel_session_new_message(sender, "status", NULL, NULL);
	frames = nbci_kernel_session_serialize(sender, message);
	first = nbci_kernel_session_parse(session, frames, &error);
	g_assert_no_error(error);
	g_assert_nonnull(first);
	second = nbci_kernel_session_parse(session, frames, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL);
	g_assert_null(second);
}

static void
test_kernel_session_missing_delimiter(void)
{
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelMessage) message = NULL;
	g_autoptr(NbciKernelMessage) parsed = NULL;
	g_autoptr(GPtrArray) frames = NULL;
	g_autoptr(GError) error = NULL;

	message = nbci_kernel_session_new_message(session, "status", NULL, NULL);
	frames = nbci_kernel_session_serialize(session, message);
	g_ptr_array_remove_index(frames, 0);
	parsed = nbci_kernel_session_parse(session, frames, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL);
	g_assert_nonnull(strstr(error->message, "<IDS|MSG>"));
	g_assert_null(parsed);
}

static void
test_kernel_session_too_few_frames(void)
{
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelMessage) message = NULL;
	g_autoptr(NbciKernelMessage) parsed = NULL;
	g_autoptr(GPtrArray) frames = NULL;
	g_autoptr(GError) error = NULL;

	message = nbci_kernel_session_new_message(session, "status", NULL, NULL);
	frames = nbci_kernel_session_serialize(session, message);
	g_ptr_array_set_size(frames, 5);
	parsed = nbci_kernel_session_parse(session, frames, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL);
	g_assert_null(parsed);
}

static void
test_kernel_session_not_an_object(void)
{
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new("");
	g_autoptr(NbciKernelMessage) parsed = NULL;
	g_autoptr(GPtrArray) frames = test_frames_new();
	g_autoptr(GError) error = NULL;

	test_frames_add(frames, "<IDS|MSG>");
	test_frames_add(frames, "");
	test_frames_add(frames, "[1, 2]");
	test_frames_add(frames, "{}");
	test_frames_add(frames, "{}");
	test_frames_add(frames, "{}");
	parsed = nbci_kernel_session_parse(session, frames, &error);
	g_assert_error(error, NBCI_ERROR, NBCI_ERROR_PROTOCOL);
	g_assert_null(parsed);
}

/* Invalid UTF-8 from the kernel is replaced with U+FFFD, while the
 * signature covers the bytes as sent. */
static void
test_kernel_session_invalid_utf8(void)
{
	g_autoptr(NbciKernelSession) sender = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelSession) session = nbci_kernel_session_new(TEST_KEY);
	g_autoptr(NbciKernelMessage) parsed = NULL;
	g_autoptr(GPtrArray) dicts = test_frames_new();
	g_autoptr(GPtrArray) frames = test_frames_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *signature = NULL;
	const gchar *text;

	test_frames_add(dicts, "{\"msg_type\":\"stream\",\"msg_id\":\"m1\"}");
	test_frames_add(dicts, "{\"msg_id\":\"p1\"}");
	test_frames_add(dicts, "{}");
	test_frames_add(dicts, "{\"name\":\"stdout\",\"text\":\"ok \xff\xfe end\\n\"}");
	signature = nbci_kernel_session_sign(sender, (GBytes *const *)dicts->pdata);

	test_frames_add(frames, "stream.stdout");
	test_frames_add(frames, "<IDS|MSG>");
	test_frames_add(frames, signature);
	for (guint i = 0; i < dicts->len; i++)
		g_ptr_array_add(frames, g_bytes_ref(dicts->pdata[i]));

	parsed = nbci_kernel_session_parse(session, frames, &error);
	g_assert_no_error(error);
	g_assert_nonnull(parsed);
	text = json_object_get_string_member(parsed->content, "text");
	g_assert_true(g_utf8_validate(text, -1, NULL));
	g_assert_cmpstr(text, ==, "ok \xef\xbf\xbd\xef\xbf\xbd end\n");
	g_assert_cmpstr(nbci_kernel_message_get_parent_msg_id(parsed), ==, "p1");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/kernel-session/sign-known-answer", test_kernel_session_sign_known_answer);
	g_test_add_func("/kernel-session/sign-empty-key", test_kernel_session_sign_empty_key);
	g_test_add_func("/kernel-session/header", test_kernel_session_header);
	g_test_add_func("/kernel-session/jupyter-client-reads-ours",
			test_kernel_session_jupyter_client_reads_ours);
	g_test_add_func("/kernel-session/reads-jupyter-client",
			test_kernel_session_reads_jupyter_client);
	g_test_add("/kernel-session/round-trip",
		   TestSocketPair,
		   NULL,
		   test_socket_pair_setup,
		   test_kernel_session_round_trip,
		   test_socket_pair_teardown);
	g_test_add("/kernel-session/bad-signature",
		   TestSocketPair,
		   NULL,
		   test_socket_pair_setup,
		   test_kernel_session_bad_signature,
		   test_socket_pair_teardown);
	g_test_add_func("/kernel-session/missing-signature", test_kernel_session_missing_signature);
	g_test_add_func("/kernel-session/tampered-content", test_kernel_session_tampered_content);
	g_test_add_func("/kernel-session/replayed", test_kernel_session_replayed);
	g_test_add_func("/kernel-session/missing-delimiter", test_kernel_session_missing_delimiter);
	g_test_add_func("/kernel-session/too-few-frames", test_kernel_session_too_few_frames);
	g_test_add_func("/kernel-session/not-an-object", test_kernel_session_not_an_object);
	g_test_add_func("/kernel-session/invalid-utf8", test_kernel_session_invalid_utf8);
	return g_test_run();
}
