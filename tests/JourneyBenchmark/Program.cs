using System.Diagnostics;
using AbandonedCart.JourneyBenchmark;
using BenchmarkDotNet.Running;

// Journey benchmark (issue 3): replay time and event count of a full default-journey history, and the wall time of
// `simulate` measured from a second process.
//   dotnet run -c Release --project tests/JourneyBenchmark            # both
//   dotnet run -c Release --project tests/JourneyBenchmark -- replay  # BenchmarkDotNet replay only
//   dotnet run -c Release --project tests/JourneyBenchmark -- simulate [runs]
var mode = args.FirstOrDefault() ?? "all";
if (mode is "all" or "replay")
{
    Console.WriteLine($"history: {ReplayBenchmark.HistoryFile} ({ReplayBenchmark.LoadHistory().Events.Count} events)");
    BenchmarkRunner.Run<ReplayBenchmark>(args: []);
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
