using AbandonedCart.Activities.Storage;

namespace AbandonedCart.Api.Reports;

/// <summary>
/// Refreshes the report's daily rollup every <c>Reports:RollupRefreshMinutes</c> (default 10; 0 turns it off), so
/// reports over long ranges read a few hundred rollup rows; the current day is always computed live.
/// </summary>
public sealed partial class ReportRollupRefresh(ReportStore store, IConfiguration configuration, TimeProvider clock, ILogger<ReportRollupRefresh> logger) : BackgroundService
{
    public const string IntervalKey = "Reports:RollupRefreshMinutes";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var minutes = configuration.GetValue(IntervalKey, 10);
        if (minutes <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(minutes), clock);
        do
        {
            try
            {
                var started = clock.GetTimestamp();
                var refreshed = await store.RefreshAsync(clock.GetUtcNow(), cancellationToken: stoppingToken);
                LogRefreshed(refreshed, clock.GetElapsedTime(started).TotalSeconds);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A failed refresh leaves the previous rollup in place; reports stay correct, only slower for new days.
                LogFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Report rollup refreshed: {Refreshed} in {Seconds:F1} s")]
    private partial void LogRefreshed(bool refreshed, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Report rollup refresh failed")]
    private partial void LogFailed(Exception exception);
}
