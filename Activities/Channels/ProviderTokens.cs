using Google.Apis.Auth.OAuth2;

namespace AbandonedCart.Activities.Channels;

/// <summary>One provider credential (an OAuth access token, an APNs provider JWT) reused until shortly before it
/// expires; concurrent callers share one fetch.</summary>
public sealed class CachedToken(TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);

    // A reference, so readers outside the gate never see half of an update.
    private volatile Entry? current;

    /// <summary>Returns the cached value, or calls <paramref name="fetch"/> for a new one with the time to renew it.</summary>
    public async Task<string> GetAsync(Func<CancellationToken, Task<(string Value, DateTimeOffset RenewAt)>> fetch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        if (current is { } fresh && fresh.RenewAt > time.GetUtcNow())
        {
            return fresh.Value;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            if (current is { } other && other.RenewAt > time.GetUtcNow())
            {
                return other.Value;
            }

            var (value, renewAt) = await fetch(cancellationToken);
            current = new Entry(value, renewAt);
            return value;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Drops the value after the provider said it expired or was revoked.</summary>
    public void Invalidate() => current = null;

    public void Dispose() => gate.Dispose();

    private sealed record Entry(string Value, DateTimeOffset RenewAt);
}

/// <summary>Google service-account access tokens (FCM, Customer Match) via Google.Apis.Auth, which caches and renews them.</summary>
public sealed class GoogleServiceAccount(string json, string scope)
{
    private readonly ITokenAccess credential = CredentialFactory.FromJson<ServiceAccountCredential>(json).ToGoogleCredential().CreateScoped(scope);

    public string? ProjectId { get; } = System.Text.Json.JsonDocument.Parse(json).RootElement.TryGetProperty("project_id", out var p) ? p.GetString() : null;

    /// <summary>Reads the key from inline JSON, else from a file path.</summary>
    public static string ReadJson(string? inline, string? file) =>
        !string.IsNullOrWhiteSpace(inline) ? inline
        : !string.IsNullOrWhiteSpace(file) ? File.ReadAllText(file)
        : throw new InvalidOperationException("A service-account key (inline JSON or a file) is required.");

    public Task<string> AccessTokenAsync(string provider, CancellationToken cancellationToken) =>
        ProviderErrors.CallAsync(provider, () => credential.GetAccessTokenForRequestAsync(null, cancellationToken), cancellationToken);
}
