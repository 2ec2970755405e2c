%% The gen_server of the call benchmarks in bench.erl: its state is a number,
%% and `get` answers it. A real gen_server (behaviour callbacks, sys messages,
%% the usual gen:call path), so `gen_server:call(Pid, get)` costs what an
%% application's call costs.
-module(bench_server).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2]).

init(N) when is_integer(N) -> {ok, N}.

handle_call(get, _From, N) -> {reply, N, N}.

handle_cast(_Msg, N) -> {noreply, N}.
