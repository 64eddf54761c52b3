namespace AbandonedCart.Worker.Simulation;

/// <summary>Placeholder for the journey preview; the real command replaces this file.</summary>
public static class SimulateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        await Console.Error.WriteLineAsync("simulate: not implemented");
        return 2;
    }
}
