using Microsoft.Extensions.Logging;

namespace AbandonedCart.Worker.Simulation;

/// <summary>
/// <c>simulate &lt;scenario.json&gt;</c>: the journey preview. Runs the real journey code on the offline engine with
/// activities answered from the scenario and prints the timeline as JSON Lines on stdout; logs go to stderr.
/// Exit codes: 0 done, 1 the journey could not be simulated, 2 bad usage or a bad scenario file.
/// </summary>
public static class SimulateCommand
{
    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var files = args.SkipWhile(a => a == "simulate").ToList();
        if (files.Count != 1)
        {
            await stderr.WriteLineAsync("usage: simulate <scenario.json>").ConfigureAwait(false);
            return 2;
        }

        Scenario scenario;
        try
        {
            scenario = ScenarioReader.Read(await File.ReadAllTextAsync(files[0]).ConfigureAwait(false));
        }
        catch (Exception e) when (e is ScenarioException or IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"{files[0]}: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(b => b
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .SetMinimumLevel(LogLevel.Warning));
        try
        {
            var outcome = await ScenarioSimulation.RunAsync(ScenarioSimulation.CreateEngine(loggerFactory), scenario, showWaits: true)
                .ConfigureAwait(false);
            await TimelineWriter.WriteAsync(stdout, outcome.Timeline).ConfigureAwait(false);
            if (outcome.Run.Steps[^1] is WorkflowFailed failed)
            {
                await stderr.WriteLineAsync($"The journey failed at {TimelineEntry.Format(failed.At)}: {failed.Message}").ConfigureAwait(false);
                return 1;
            }

            if (!outcome.Run.Closed)
            {
                await stderr.WriteLineAsync($"The journey is still waiting at {TimelineEntry.Format(outcome.Run.EndedAt)}: nothing more happens in the scenario.")
                    .ConfigureAwait(false);
            }

            return 0;
        }
        catch (JourneyEngineException e)
        {
            await stderr.WriteLineAsync($"simulate: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
