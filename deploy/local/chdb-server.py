#!/usr/bin/env python3
"""Run a ClickHouse server from the engine inside the chdb npm package.

libchdb.so exports chdb_query_cmdline(argc, argv), which runs the
clickhouse-local command line. clickhouse-local can open HTTP and TCP
listeners (SYSTEM START LISTEN) that live while its query runs. The query
here reads stdin to EOF, so the server lives exactly as long as the parent
keeps our stdin open, and stops when the parent closes it or dies.

Python's ctypes calls the function on the main thread with a normal stack:
ClickHouse checks its stack bounds, which FFI layers that switch stacks break.

usage: chdb-server.py LIBCHDB DATA_DIR HTTP_PORT TCP_PORT
"""
import ctypes
import sys

lib_path, data_dir, http_port, tcp_port = sys.argv[1:5]
args = [
    "clickhouse",
    f"--path={data_dir}",
    "--listen_host=127.0.0.1",
    f"--http_port={http_port}",
    f"--tcp_port={tcp_port}",
    "--multiquery",
    "--input-format=LineAsString",
    "--structure=line String",
    "--query=SYSTEM START LISTEN HTTP; SYSTEM START LISTEN TCP; SELECT count() FROM table FORMAT Null",
]
lib = ctypes.CDLL(lib_path)
lib.chdb_query_cmdline.restype = ctypes.c_void_p
argv = (ctypes.c_char_p * len(args))(*[a.encode() for a in args])
print(f"chdb-server: listening on 127.0.0.1 http {http_port} tcp {tcp_port}, data {data_dir}", file=sys.stderr, flush=True)
lib.chdb_query_cmdline(len(args), argv)
print("chdb-server: stdin closed, stopped", file=sys.stderr, flush=True)
