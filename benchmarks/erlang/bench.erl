%% Erlang/OTP baseline benchmarks for the actor runtime.
%%
%% Compile into a scratch directory and run with ONE scheduler, e.g.
%%   erlc -o /tmp/b benchmarks/erlang/bench.erl benchmarks/erlang/bench_server.erl
%%   erl +S 1 +P 2000000 -noshell -pa /tmp/b -run bench main 3 pingpong ring
%% Arguments (any order): an integer = number of timed runs (default 3);
%% workload names (pingpong | ring | spawn | fanout | call_seq |
%% call_concurrent | all; default all; `-` may stand for `_`).
%% `+P` must exceed 1,000,000 for the spawn workload (default limit: 262144).
%%
%% dist_call_rtt (not in `all`) needs two distributed nodes: node b runs
%% `-run bench dist_serve` (a registered gen_server, then prints `ready`), and
%% node a runs `-run bench main N dist_call_rtt peer=b@127.0.0.1`. run.ts
%% starts both, with their own epmd.
%%
%% Every workload does one untimed warm-up run, then N timed runs, each in a
%% fresh runner process. Set-up and tear-down (spawning rings/workers, killing
%% processes) are outside the timed section except in `spawn`, where spawning
%% is the thing being timed. Prints one JSON line per workload on stdout; the
%% workload is named with `-` for `_` (call-seq), as the TypeScript side names it.
-module(bench).
-export([main/0, main/1, dist_serve/0]).

-define(PINGPONG_MSGS, 1000000).
-define(RING_SIZE, 10000).
-define(RING_LAPS, 100).
-define(SPAWN_COUNT, 1000000).
-define(FANOUT_WORKERS, 10000).
-define(FANOUT_ROUNDS, 100).
-define(CALLS_SEQ, 1000000).
-define(CALL_CLIENTS, 1000).
-define(CALLS_PER_CLIENT, 1000).
-define(CALL_SERVERS, 100).
-define(DIST_WARMUP, 1000).
-define(DIST_CALLS, 20000).
-define(DIST_SERVER, bench_dist_server).
-define(ALL, [pingpong, ring, spawn, fanout, call_seq, call_concurrent]).
-define(KNOWN, ?ALL ++ [dist_call_rtt]).

main() -> main([]).

main(Args) ->
    Code =
        try
            {Runs, Workloads} = parse_args(Args, 3, []),
            lists:foreach(fun(W) -> run_workload(W, Runs) end, Workloads),
            0
        catch
            throw:{usage, Msg} ->
                io:format(standard_error, "bench: ~s~n", [Msg]),
                2;
            Class:Reason:Stack ->
                io:format(standard_error, "bench: ~p:~p~n~p~n", [Class, Reason, Stack]),
                1
        end,
    erlang:halt(Code).

%% ---------------------------------------------------------------- arguments

parse_args([], Runs, []) -> {Runs, ?ALL};
parse_args([], Runs, Ws) -> {Runs, dedup(lists:reverse(Ws))};
parse_args([A | Rest], Runs, Ws) when is_atom(A) -> parse_args([atom_to_list(A) | Rest], Runs, Ws);
parse_args([A | Rest], Runs, Ws) ->
    case string:to_integer(A) of
        {N, ""} when N >= 1 -> parse_args(Rest, N, Ws);
        {_, ""} -> throw({usage, "runs must be >= 1"});
        _ ->
            case A of
                "all" -> parse_args(Rest, Runs, lists:reverse(?ALL) ++ Ws);
                "peer=" ++ Peer ->
                    persistent_term:put({?MODULE, peer}, list_to_atom(Peer)),
                    parse_args(Rest, Runs, Ws);
                _ ->
                    W = list_to_atom(lists:flatten(string:replace(A, "-", "_", all))),
                    lists:member(W, ?KNOWN) orelse
                        throw({usage, "unknown workload " ++ A ++
                                   " (expected pingpong|ring|spawn|fanout|call_seq|"
                                   "call_concurrent|dist_call_rtt|all)"}),
                    parse_args(Rest, Runs, [W | Ws])
            end
    end.

dedup(L) -> dedup(L, []).
dedup([], Acc) -> lists:reverse(Acc);
dedup([H | T], Acc) ->
    case lists:member(H, Acc) of
        true -> dedup(T, Acc);
        false -> dedup(T, [H | Acc])
    end.

%% ---------------------------------------------------------------- driver

run_workload(dist_call_rtt = W, Runs) ->
    _ = isolated(W),                                   % warm-up, discarded
    Results = [isolated(W) || _ <- lists:seq(1, Runs)],
    P50s = [P50 || {P50, _} <- Results],
    P99s = [P99 || {_, P99} <- Results],
    %% "\\u00b5s": JSON's escape for µs, whatever encoding standard_io has.
    Line = [{"workload", str(json_name(W))}, {"impl", str("erlang")},
            {"unit", {raw, "\"\\u00b5s\""}}, {"median", median_f(P50s)},
            {"p50", median_f(P50s)}, {"p99", median_f(P99s)},
            {"runs", P50s}, {"p99Runs", P99s}],
    io:put_chars([json(Line), $\n]);
run_workload(W, Runs) ->
    _ = isolated(W),                                   % warm-up, discarded
    Results = [isolated(W) || _ <- lists:seq(1, Runs)],
    Rates = [R || {R, _} <- Results],
    Base = [{"workload", str(json_name(W))}, {"impl", str("erlang")},
            {"unit", str(unit(W))}, {"median", median(Rates)}, {"runs", Rates}],
    Extra = case W of
                spawn -> [{"bytesPerItem", median([B || {_, B} <- Results])}];
                _ -> []
            end,
    io:put_chars([json(Base ++ Extra), $\n]).

unit(spawn) -> "spawns/s";
unit(call_seq) -> "calls/s";
unit(call_concurrent) -> "calls/s";
unit(_) -> "msgs/s".

%% The workload's name in JSON: `call-seq` for `call_seq`, as benchmarks/*.ts name theirs.
json_name(W) -> lists:flatten(string:replace(atom_to_list(W), "_", "-", all)).

%% Run one measurement in a fresh process (clean heap/mailbox) and return
%% {Rate, Extra}.
isolated(W) ->
    Parent = self(),
    {Pid, Ref} = spawn_monitor(fun() -> Parent ! {self(), result, once(W)} end),
    receive
        {Pid, result, R} ->
            receive {'DOWN', Ref, process, Pid, _} -> ok end,
            R;
        {'DOWN', Ref, process, Pid, Reason} ->
            error({workload_failed, W, Reason})
    end.

once(pingpong) -> {pingpong(?PINGPONG_MSGS), undefined};
once(ring) -> {ring(?RING_SIZE, ?RING_LAPS), undefined};
once(spawn) -> spawn_bench(?SPAWN_COUNT);
once(fanout) -> {fanout(?FANOUT_WORKERS, ?FANOUT_ROUNDS), undefined};
once(call_seq) -> {call_seq(?CALLS_SEQ), undefined};
once(call_concurrent) -> {call_concurrent(?CALL_CLIENTS, ?CALLS_PER_CLIENT, ?CALL_SERVERS), undefined};
once(dist_call_rtt) -> dist_call_rtt(persistent_term:get({?MODULE, peer}, undefined)).

now_ns() -> erlang:monotonic_time(nanosecond).

rate(Count, Ns) -> round(Count * 1.0e9 / max(Ns, 1)).

%% ---------------------------------------------------------------- pingpong
%% Two processes bounce a counter; every one-way send is one message.

pingpong(Total) ->
    Self = self(),
    Pong = spawn(fun() -> pp_loop(Self) end),
    Ping = spawn(fun() -> pp_loop(Self) end),
    T0 = now_ns(),
    Ping ! {Pong, Total - 1},                           % message #1
    receive pp_done -> ok end,
    T1 = now_ns(),
    exit(Ping, kill),
    exit(Pong, kill),
    rate(Total, T1 - T0).

pp_loop(Report) ->
    receive
        {_, 0} -> Report ! pp_done, pp_loop(Report);
        {Peer, N} -> Peer ! {self(), N - 1}, pp_loop(Report)
    end.

%% ---------------------------------------------------------------- ring
%% Size processes in a ring; an integer token counts down the remaining hops.

ring(Size, Laps) ->
    Self = self(),
    Total = Size * Laps,
    Head = spawn(fun() -> receive {next, Next} -> ring_node(Next, Self) end end),
    {Last, Pids} = build_ring(Size - 1, Head, Self, [Head]),
    Head ! {next, Last},
    T0 = now_ns(),
    Head ! Total - 1,                                   % message #1
    receive ring_done -> ok end,
    T1 = now_ns(),
    lists:foreach(fun(P) -> exit(P, kill) end, Pids),
    rate(Total, T1 - T0).

build_ring(0, Next, _Report, Acc) -> {Next, Acc};
build_ring(N, Next, Report, Acc) ->
    P = spawn(fun() -> ring_node(Next, Report) end),
    build_ring(N - 1, P, Report, [P | Acc]).

ring_node(Next, Report) ->
    receive
        0 -> Report ! ring_done, ring_node(Next, Report);
        N -> Next ! N - 1, ring_node(Next, Report)
    end.

%% ---------------------------------------------------------------- spawn
%% Spawn Count processes that block in receive. The clock stops when a
%% sentinel spawned last has run: with one scheduler and a FIFO run queue,
%% every earlier process has then reached its receive. Memory per process is
%% the erlang:memory(processes) delta minus the growth of this process itself
%% (which holds the pid list), divided by Count.

spawn_bench(Count) ->
    Self = self(),
    garbage_collect(),
    Mem0 = erlang:memory(processes),
    Own0 = own_memory(),
    T0 = now_ns(),
    Pids = spawn_idle(Count, []),
    spawn(fun() -> Self ! all_spawned end),
    receive all_spawned -> ok end,
    T1 = now_ns(),
    garbage_collect(),
    Mem1 = erlang:memory(processes),
    Own1 = own_memory(),
    Bytes = round(((Mem1 - Mem0) - (Own1 - Own0)) / Count),
    Baseline = erlang:system_info(process_count) - Count,
    lists:foreach(fun(P) -> exit(P, kill) end, Pids),
    wait_process_count(Baseline),
    {rate(Count, T1 - T0), Bytes}.

spawn_idle(0, Acc) -> Acc;
spawn_idle(N, Acc) -> spawn_idle(N - 1, [spawn(fun idle/0) | Acc]).

idle() -> receive stop -> ok end.

own_memory() ->
    {memory, M} = process_info(self(), memory),
    M.

wait_process_count(Target) ->
    case erlang:system_info(process_count) =< Target of
        true -> ok;
        false -> timer:sleep(5), wait_process_count(Target)
    end.

%% ---------------------------------------------------------------- fanout
%% A coordinator sends a request to each of Workers processes per round and
%% waits for all replies; requests + replies are counted.

fanout(Workers, Rounds) ->
    Pids = [spawn(fun fan_worker/0) || _ <- lists:seq(1, Workers)],
    Self = self(),
    T0 = now_ns(),
    fan_rounds(Rounds, Pids, Self, Workers),
    T1 = now_ns(),
    lists:foreach(fun(P) -> exit(P, kill) end, Pids),
    rate(2 * Workers * Rounds, T1 - T0).

fan_rounds(0, _Pids, _Self, _N) -> ok;
fan_rounds(R, Pids, Self, N) ->
    fan_send(Pids, Self),
    fan_collect(N),
    fan_rounds(R - 1, Pids, Self, N).

fan_send([], _Self) -> ok;
fan_send([P | Ps], Self) -> P ! {req, Self}, fan_send(Ps, Self).

fan_collect(0) -> ok;
fan_collect(N) -> receive reply -> fan_collect(N - 1) end.

fan_worker() ->
    receive {req, From} -> From ! reply, fan_worker() end.

%% ---------------------------------------------------------------- call_seq
%% One client (this runner process) makes Total sequential gen_server:call(Server, get)
%% (default 5 s timeout) to one bench_server.

call_seq(Total) ->
    {ok, Server} = gen_server:start(bench_server, 42, []),
    T0 = now_ns(),
    ok = call_loop(Server, Total),
    T1 = now_ns(),
    gen_server:stop(Server),
    rate(Total, T1 - T0).

call_loop(_Server, 0) -> ok;
call_loop(Server, N) ->
    42 = gen_server:call(Server, get),
    call_loop(Server, N - 1).

%% ---------------------------------------------------------------- call_concurrent
%% Clients processes make PerClient sequential calls each; client i calls server
%% i rem Servers. Clients are spawned (and wait for `go`) before the clock starts;
%% timed from the first `go` until every client has reported.

call_concurrent(Clients, PerClient, Servers) ->
    Self = self(),
    ServerPids = list_to_tuple([begin {ok, S} = gen_server:start(bench_server, 42, []), S end
                                || _ <- lists:seq(1, Servers)]),
    ClientPids = [spawn(fun() ->
                                receive go -> ok end,
                                ok = call_loop(element(I rem Servers + 1, ServerPids), PerClient),
                                Self ! call_client_done
                        end) || I <- lists:seq(0, Clients - 1)],
    T0 = now_ns(),
    lists:foreach(fun(C) -> C ! go end, ClientPids),
    collect(call_client_done, Clients),
    T1 = now_ns(),
    lists:foreach(fun gen_server:stop/1, tuple_to_list(ServerPids)),
    rate(Clients * PerClient, T1 - T0).

collect(_Msg, 0) -> ok;
collect(Msg, N) -> receive Msg -> collect(Msg, N - 1) end.

%% ---------------------------------------------------------------- dist_call_rtt
%% Sequential gen_server:call from this node to the registered bench_server on
%% Peer (another BEAM): Warmup untimed calls, then Calls timed one by one.
%% Returns {P50, P99} in microseconds.

%% Node b's entry: a registered bench_server that outlives this function, then
%% `ready` on stdout for the runner to wait on.
dist_serve() ->
    {ok, _} = gen_server:start({local, ?DIST_SERVER}, bench_server, 42, []),
    io:put_chars("ready\n").

dist_call_rtt(undefined) -> error({usage, "dist_call_rtt needs peer=Node"});
dist_call_rtt(Peer) ->
    case net_kernel:connect_node(Peer) of
        true -> ok;
        Other -> error({cannot_connect, Peer, Other})    % false, or ignored: not distributed
    end,
    Server = {?DIST_SERVER, Peer},
    ok = call_loop(Server, ?DIST_WARMUP),
    Times = lists:sort(timed_calls(Server, ?DIST_CALLS, [])),
    {percentile(Times, 50), percentile(Times, 99)}.

timed_calls(_Server, 0, Acc) -> Acc;
timed_calls(Server, N, Acc) ->
    T0 = now_ns(),
    42 = gen_server:call(Server, get),
    T1 = now_ns(),
    timed_calls(Server, N - 1, [(T1 - T0) / 1000 | Acc]).

%% Nearest-rank percentile of a sorted, non-empty list.
percentile(Sorted, P) ->
    Rank = max(1, ceil(P / 100 * length(Sorted))),
    lists:nth(Rank, Sorted).

%% ---------------------------------------------------------------- output

median([]) -> 0;
median(L) ->
    S = lists:sort(L),
    Len = length(S),
    case Len rem 2 of
        1 -> lists:nth(Len div 2 + 1, S);
        0 -> round((lists:nth(Len div 2, S) + lists:nth(Len div 2 + 1, S)) / 2)
    end.

%% Median of floats (microseconds), rounded to 0.1.
median_f(L) ->
    S = lists:sort(L),
    Len = length(S),
    M = case Len rem 2 of
            1 -> lists:nth(Len div 2 + 1, S);
            0 -> (lists:nth(Len div 2, S) + lists:nth(Len div 2 + 1, S)) / 2
        end,
    round(M * 10) / 10.

str(A) when is_atom(A) -> str(atom_to_list(A));
str(S) -> {str, S}.

json(Pairs) when is_list(Pairs) ->
    ["{", lists:join(",", [[$", K, $", $:, json_val(V)] || {K, V} <- Pairs]), "}"].

json_val({str, S}) -> [$", S, $"];
json_val({raw, S}) -> S;
json_val(F) when is_float(F) -> float_to_list(F, [{decimals, 1}, compact]);
json_val(N) when is_integer(N) -> integer_to_list(N);
json_val(L) when is_list(L) -> ["[", lists:join(",", [json_val(V) || V <- L]), "]"].
