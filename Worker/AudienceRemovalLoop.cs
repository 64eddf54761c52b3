using System.Text.RegularExpressions;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Temporalio.Exceptions;

namespace AbandonedCart.Worker;

/// <summary>Section <c>AudienceRemovals</c>: how the Worker retries the audience removals an erasure queued.</summary>
public sealed class AudienceRemovalOptions
{
    public const string Section = "AudienceRemovals";

    /// <summary>False leaves queued removals to another Worker.</summary>
    public bool Enabled { get; set; } = true;

    public int BatchSize { get; set; } = 50;

    /// <summary>How often the loop looks for due removals.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first retry delay; each further failure doubles it, up to <see cref="RetryMax"/>.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryMax { get; set; } = TimeSpan.FromHours(6);

    public TimeSpan Backoff(int attempts) =>
        TimeSpan.FromTicks(Math.Min(RetryMax.Ticks, RetryBase.Ticks * (1L << Math.Clamp(attempts, 0, 20))));
}

/// <summary>
/// Takes erased customers out of the Google and Meta audiences: claims due rows of <c>audience_removals</c>
/// (<c>FOR UPDATE SKIP LOCKED</c>, so several Workers share the work), removes the stored hash through the real
/// provider, and marks the row confirmed, or counts the attempt and schedules the next with exponential backoff.
/// It runs in the Worker because the providers are registered there; the Api only queues.
/// </summary>
public sealed partial class AudienceRemovalLoop(
    NpgsqlDataSource dataSource, AudienceSenders senders, IOptions<AudienceRemovalOptions> options, TimeProvider time, ILogger<AudienceRemovalLoop> logger)
    : BackgroundService
{
    /// <summary>One pass over the due removals; returns how many were tried.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var due = await AudienceStore.ClaimDueRemovalsAsync(connection, transaction, o.BatchSize, time.GetUtcNow(), cancellationToken);
        foreach (var removal in due)
        {
            try
            {
                await senders.For(removal.Audience).RemoveHashedAsync(removal.CustomerId, removal.MemberHash!, removal.IdempotencyKey, cancellationToken);
                await AudienceStore.ConfirmRemovalAsync(connection, transaction, removal.Id, time.GetUtcNow(), CancellationToken.None);
                logger.LogInformation(
                    "Removed customer {CustomerId} from the {Audience} audience after erasure (attempt {Attempt})", removal.CustomerId, removal.Audience, removal.Attempts + 1);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var error = Describe(e);
                var next = time.GetUtcNow() + o.Backoff(removal.Attempts);
                await AudienceStore.RetryRemovalAsync(connection, transaction, removal.Id, error, next, CancellationToken.None);
                logger.LogWarning(
                    "Removing customer {CustomerId} from the {Audience} audience failed ({Error}); attempt {Attempt}, next at {Next}",
                    removal.CustomerId, removal.Audience, error, removal.Attempts + 1, next);
            }
        }

        await transaction.CommitAsync(CancellationToken.None);
        return due.Count;
    }

    /// <summary>The failure type and HTTP status only: provider texts can echo what they were sent.</summary>
    public static string Describe(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var type = (failure as ApplicationFailureException)?.ErrorType ?? failure.GetType().Name;
        return HttpStatus().Match(failure.Message) is { Success: true } status ? $"{type} ({status.Value})" : type;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            logger.LogInformation("Audience removal loop disabled (AudienceRemovals:Enabled=false): another Worker removes erased customers.");
            return;
        }

        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var tried = 0;
            try
            {
                tried = await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // PostgreSQL unreachable: the rows stay queued; try again at the next poll.
                logger.LogWarning("Audience removal pass failed: {Error}", e.GetType().Name);
            }

            if (tried < o.BatchSize)
            {
                try
                {
                    await Task.Delay(o.PollInterval, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [GeneratedRegex(@"HTTP \d{3}", RegexOptions.CultureInvariant)]
    private static partial Regex HttpStatus();
}
