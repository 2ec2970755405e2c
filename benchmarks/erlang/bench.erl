%% Erlang/OTP baseline benchmarks for the actor runtime.
%%
%% Compile into a scratch directory and run with ONE scheduler, e.g.
%%   erlc -o /tmp/b benchmarks/erlang/bench.erl
%%   erl +S 1 +P 2000000 -noshell -pa /tmp/b -run bench main 3 pingpong ring
%% Arguments (any order): an integer = number of timed runs (default 3);
%% workload names (pingpong | ring | spawn | fanout | all; default all).
%% `+P` must exceed 1,000,000 for the spawn workload (default limit: 262144).
%%
%% Every workload does one untimed warm-up run, then N timed runs, each in a
%% fresh runner process. Set-up and tear-down (spawning rings/workers, killing
%% processes) are outside the timed section except in `spawn`, where spawning
%% is the thing being timed. Prints one JSON line per workload on stdout.
-module(bench).
-export([main/0, main/1]).

-define(PINGPONG_MSGS, 1000000).
-define(RING_SIZE, 10000).
-define(RING_LAPS, 100).
-define(SPAWN_COUNT, 1000000).
-define(FANOUT_WORKERS, 10000).
-define(FANOUT_ROUNDS, 100).
-define(ALL, [pingpong, ring, spawn, fanout]).

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
                _ ->
                    W = list_to_atom(A),
                    lists:member(W, ?ALL) orelse
                        throw({usage, "unknown workload " ++ A ++
                                   " (expected pingpong|ring|spawn|fanout|all)"}),
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

run_workload(W, Runs) ->
    _ = isolated(W),                                   % warm-up, discarded
    Results = [isolated(W) || _ <- lists:seq(1, Runs)],
    Rates = [R || {R, _} <- Results],
    Base = [{"workload", str(W)}, {"impl", str("erlang")},
            {"unit", str(unit(W))}, {"median", median(Rates)}, {"runs", Rates}],
    Extra = case W of
                spawn -> [{"bytesPerItem", median([B || {_, B} <- Results])}];
                _ -> []
            end,
    io:put_chars([json(Base ++ Extra), $\n]).

unit(spawn) -> "spawns/s";
unit(_) -> "msgs/s".

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
once(fanout) -> {fanout(?FANOUT_WORKERS, ?FANOUT_ROUNDS), undefined}.

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

%% ---------------------------------------------------------------- output

median([]) -> 0;
median(L) ->
    S = lists:sort(L),
    Len = length(S),
    case Len rem 2 of
        1 -> lists:nth(Len div 2 + 1, S);
        0 -> round((lists:nth(Len div 2, S) + lists:nth(Len div 2 + 1, S)) / 2)
    end.

str(A) when is_atom(A) -> str(atom_to_list(A));
str(S) -> {str, S}.

json(Pairs) when is_list(Pairs) ->
    ["{", lists:join(",", [[$", K, $", $:, json_val(V)] || {K, V} <- Pairs]), "}"].

json_val({str, S}) -> [$", S, $"];
json_val(N) when is_integer(N) -> integer_to_list(N);
json_val(L) when is_list(L) -> ["[", lists:join(",", [json_val(V) || V <- L]), "]"].
