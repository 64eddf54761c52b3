using System.Diagnostics;
using AbandonedCart.JourneyBenchmark;
using BenchmarkDotNet.Running;

// Journey benchmark: replay time and event count of a full default-journey history, and the wall time of
// `simulate` measured from a second process.
//   dotnet run -c Release --project tests/JourneyBenchmark            # both
//   dotnet run -c Release --project tests/JourneyBenchmark -- replay  # BenchmarkDotNet replay only (more args go to it)
//   dotnet run -c Release --project tests/JourneyBenchmark -- control # BenchmarkDotNet: journey vs shape control
//   dotnet run -c Release --project tests/JourneyBenchmark -- compare [rounds]  # the same, alternating in one process
//   dotnet run -c Release --project tests/JourneyBenchmark -- loop [n] [history] # plain loop to profile (dotnet-trace, perf)
//   dotnet run -c Release --project tests/JourneyBenchmark -- simulate [runs]
var mode = args.FirstOrDefault() ?? "all";
if (mode is "all" or "replay")
{
    Console.WriteLine($"history: {ReplayBenchmark.HistoryFile} ({ReplayBenchmark.LoadHistory().Events.Count} events)");
    BenchmarkRunner.Run<ReplayBenchmark>(args: args.Skip(1).ToArray());
}

if (mode == "control")
{
    BenchmarkRunner.Run<ShapeControlBenchmark>(args: args.Skip(1).ToArray());
}

if (mode == "compare")
{
    // The journey and the shape control replay the same history in alternating rounds in one process, so both see the
    // same machine; medians of the per-round means.
    var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40;
    var bench = new ShapeControlBenchmark();
    bench.Setup();
    var runs = new (string Name, Func<Task> Replay, List<double> Means, List<double> Pauses)[]
    {
        ("journey", bench.Journey, [], []),
        ("shape control", bench.ShapeControl, [], []),
    };
    for (var round = -5; round < rounds; round++)
    {
        foreach (var (_, replay, means, pauses) in runs)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var paused = GC.GetTotalPauseDuration();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 20; i++)
            {
                await replay();
            }

            if (round >= 0)
            {
                means.Add(watch.Elapsed.TotalMilliseconds / 20);
                pauses.Add((GC.GetTotalPauseDuration() - paused).TotalMilliseconds / 20);
            }
        }
    }

    foreach (var (name, _, means, pauses) in runs)
    {
        means.Sort();
        pauses.Sort();
        Console.WriteLine($"{name}: median {means[means.Count / 2]:0.00} ms, quartiles {means[means.Count / 4]:0.00}-{means[means.Count * 3 / 4]:0.00} ms over {rounds} rounds of 20 replays; GC pauses {pauses[pauses.Count / 2]:0.00} ms per replay");
    }

    return 0;
}

if (mode == "loop")
{
    // Quick loop for profiling (dotnet-trace): replays the history N times and prints the mean.
    var n = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 500;
    var bench = new ReplayBenchmark();
    if (args.Length > 2)
    {
        bench.History = args[2];
    }

    bench.Setup();
    for (var i = 0; i < 50; i++)
    {
        await bench.ReplayFullJourney();
    }

    var watch = Stopwatch.StartNew();
    for (var i = 0; i < n; i++)
    {
        await bench.ReplayFullJourney();
    }

    Console.WriteLine($"loop: {n} replays, mean {watch.Elapsed.TotalMilliseconds / n:0.00} ms");
    return 0;
}

if (mode is "all" or "simulate")
{
    var runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10;
    var root = ReplayBenchmark.RepositoryRoot();
    var worker = Path.Combine(root, "Worker", "bin", "Release", "net10.0", "AbandonedCart.Worker.dll");
    if (!File.Exists(worker))
    {
        Console.Error.WriteLine($"build the Worker first: dotnet build -c Release Worker ({worker} missing)");
        return 1;
    }

    foreach (var scenario in new[] { "mobile-engaged.json", "desktop-exhausted.json" })
    {
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var psi = new ProcessStartInfo("dotnet", $"\"{worker}\" simulate \"{Path.Combine(root, "Worker", "scenarios", scenario)}\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var watch = Stopwatch.StartNew();
            using var process = Process.Start(psi)!;
            _ = await process.StandardOutput.ReadToEndAsync();
            _ = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            times.Add(watch.Elapsed.TotalMilliseconds);
            if (process.ExitCode != 0)
            {
                Console.Error.WriteLine($"simulate {scenario} exited {process.ExitCode}");
                return 1;
            }
        }

        times.Sort();
        Console.WriteLine($"simulate {scenario}: {runs} runs, median {times[runs / 2]:0} ms, min {times[0]:0} ms, max {times[^1]:0} ms (process start included)");
    }
}

return 0;
