namespace AbandonedCart.Tests.Determinism;

/// <summary>
/// The determinism gate: every recorded golden history must replay against the current workflow code, so a change
/// that would break carts in flight fails here, naming the history and core's nondeterminism error.
/// </summary>
public class DeterminismGateTests
{
    public static TheoryData<string> GoldenFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in GoldenHistories.All())
        {
            data.Add(file);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public async Task Replay_GoldenHistory_MatchesCurrentWorkflowCode(string file)
    {
        var failure = await GoldenHistories.ReplayAsync(Path.Combine(GoldenHistories.Root, file), GoldenHistories.Workflows);

        Assert.True(failure is null, $"Golden history {file} no longer replays against the current workflow code. {failure}");
    }

    [Fact]
    public void Golden_Folder_HasHistories()
    {
        // An empty gate passes vacuously; a missing folder means the tests run from an unexpected place.
        Assert.NotEmpty(GoldenHistories.All());
    }
}
