using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Temporalio.Exceptions;

namespace AbandonedCart.Activities.Channels;

/// <summary>
/// The one mapping from provider answers to Temporal failures. Retryable failures are left to the activity's
/// retry policy (the only retry layer: no HttpClient or library retries); everything else is non-retryable with a
/// type the send activity can act on.
/// </summary>
public static partial class ProviderErrors
{
    /// <summary>429, 5xx, timeouts and connection failures: retried by Temporal.</summary>
    public const string ProviderUnavailable = "ProviderUnavailable";

    /// <summary>Any other 4xx: the provider will not take this request as it is.</summary>
    public const string ProviderRejected = "ProviderRejected";

    /// <summary>The email address, phone number or LINE user id is not deliverable: mark the property invalid.</summary>
    public const string InvalidAddress = "InvalidAddress";

    /// <summary>The push token (FCM, APNs, Huawei) or web push subscription is gone: remove it.</summary>
    public const string TokenInvalid = "TokenInvalid";

    /// <summary>
    /// Our own provider configuration is wrong (e.g. Twilio 21212, our sending number): never the recipient's fault,
    /// so nothing of the customer is touched; non-retryable and logged as an error for the operator.
    /// </summary>
    public const string ProviderMisconfigured = "ProviderMisconfigured";

    /// <summary>The recipient opted out at the provider (Twilio 21610): the channel's consent is withdrawn and the send recorded as skipped.</summary>
    public const string RecipientOptedOut = "RecipientOptedOut";

    /// <summary>The web push endpoint is not at a known push service: nothing was sent, the send is recorded as skipped.</summary>
    public const string EndpointNotAllowed = "EndpointNotAllowed";

    /// <summary>Failure types after which the property named in the failure's first detail must be marked invalid.</summary>
    public static bool MarksPropertyInvalid(string? errorType) => errorType is InvalidAddress or TokenInvalid;

    /// <summary>Failure types that are a decision about the recipient rather than a failed send: recorded as skipped.</summary>
    public static bool SkipsSend(string? errorType) => errorType is RecipientOptedOut or EndpointNotAllowed;

    /// <summary>A retryable failure; <paramref name="retryAfter"/> (from Retry-After) becomes the next retry delay.</summary>
    public static ApplicationFailureException Unavailable(string provider, string detail, TimeSpan? retryAfter = null, Exception? inner = null) =>
        new($"{provider} unavailable: {detail}", inner, ProviderUnavailable, nonRetryable: false, nextRetryDelay: retryAfter);

    /// <summary>A non-retryable failure. <paramref name="property"/> names the customer property to invalidate, if any.</summary>
    public static ApplicationFailureException Rejected(string provider, string detail, string errorType = ProviderRejected, string? property = null) =>
        new($"{provider} rejected the message: {detail}", errorType, nonRetryable: true, details: property is null ? null : [property]);

    /// <summary>Maps a non-success status. <paramref name="classify"/> may name a sharper type for a 4xx (or
    /// <see cref="ProviderUnavailable"/> to make it retryable), from the status and the provider's error body.</summary>
    public static ApplicationFailureException FromStatus(
        string provider, int status, string body, TimeSpan? retryAfter, Func<int, string, string?>? classify = null, string? property = null)
    {
        var detail = $"HTTP {status} {Shorten(Redact(body))}";
        if (status is 408 or 429 || status >= 500)
        {
            return Unavailable(provider, detail, retryAfter);
        }

        // 401/403 that no provider rule explains: our credentials or account, not the recipient.
        var type = classify?.Invoke(status, body) ?? (status is 401 or 403 ? ProviderMisconfigured : ProviderRejected);
        return type == ProviderUnavailable
            ? Unavailable(provider, detail, retryAfter)
            : Rejected(provider, detail, type, MarksPropertyInvalid(type) ? property : null);
    }

    /// <summary>Runs one provider call, turning connection failures and timeouts into retryable failures.</summary>
    public static async Task<T> CallAsync<T>(string provider, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call();
        }
        catch (HttpRequestException e)
        {
            throw Unavailable(provider, e.Message, inner: e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(provider, "timed out", inner: e);
        }
    }

    /// <summary>Sends a request; returns the response when it is a success, else throws the mapped failure.</summary>
    public static async Task<HttpResponseMessage> SendAsync(
        HttpClient http,
        HttpRequestMessage request,
        string provider,
        CancellationToken cancellationToken,
        Func<int, string, string?>? classify = null,
        string? property = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        var response = await CallAsync(provider, () => http.SendAsync(request, cancellationToken), cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw FromStatus(provider, (int)response.StatusCode, body, RetryAfter(response), classify, property);
        }
    }

    /// <summary>Reads a provider's JSON error body with <paramref name="read"/>; null when the body is not JSON.</summary>
    public static string? ReadJson(string body, Func<JsonElement, string?> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            using var doc = JsonDocument.Parse(body);
            return read(doc.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        return header?.Date is { } date && date > DateTimeOffset.UtcNow ? date - DateTimeOffset.UtcNow : null;
    }

    public static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;

    private static string Shorten(string body) => body.Length <= 300 ? body : body[..300] + "…";

    /// <summary>
    /// The failure's text reaches the workflow history, and providers echo what they were sent ("The 'To' number
    /// +14155550123 is not valid"): emails, URLs (web push endpoints), phone numbers and token-like runs are masked,
    /// leaving the provider's words and codes.
    /// </summary>
    public static string Redact(string text) => PersonalText().Replace(text, "[redacted]");

    [GeneratedRegex(@"[^\s""'<>(),;:]+@[^\s""'<>(),;:]+|[a-z][a-z0-9+.-]*://[^\s""'<>]+|\+?\d[\d ().-]{5,}\d|[A-Za-z0-9_\-.:%=/+]{24,}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PersonalText();
}
