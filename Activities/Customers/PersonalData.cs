using Temporalio.Exceptions;

namespace AbandonedCart.Activities.Customers;

/// <summary>
/// Keeps a customer's addresses and tokens out of what outlives the send: an activity failure's message is recorded in
/// the workflow history, which erasure cannot reach, and providers echo the address in their error texts.
/// </summary>
public static class PersonalData
{
    private const string Redacted = "[redacted]";

    /// <summary>The customer's email, phone (with and without its +), push tokens, web push endpoint and keys, LINE user id.</summary>
    public static IReadOnlyList<string> Values(CustomerProfile? customer)
    {
        if (customer is null)
        {
            return [];
        }

        string?[] values =
        [
            customer.Email, customer.Phone, customer.Phone?.TrimStart('+'), customer.FcmToken, customer.ApnsToken, customer.HuaweiToken,
            customer.WebPush?.Endpoint, customer.WebPush?.P256dh, customer.WebPush?.Auth, customer.LineUserId,
        ];

        // Longest first, so an endpoint is replaced whole before any shorter value inside it.
        return [.. values.Where(v => v is { Length: >= 4 }).Select(v => v!).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length)];
    }

    public static string Redact(string text, IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(values);
        foreach (var value in values)
        {
            text = text.Replace(value, Redacted, StringComparison.OrdinalIgnoreCase);
        }

        return text;
    }

    /// <summary>
    /// The failure to throw instead of <paramref name="failure"/> when its message or any inner message holds one of
    /// the customer's values: the same type, retry decision, details and retry delay, with the message redacted and no
    /// inner exception. Null when nothing needs hiding (rethrow the original).
    /// </summary>
    public static ApplicationFailureException? Scrubbed(Exception failure, CustomerProfile? customer)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var values = Values(customer);
        var messages = new List<string>();
        for (var e = failure; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        if (!messages.Any(m => values.Any(v => m.Contains(v, StringComparison.OrdinalIgnoreCase))))
        {
            return null;
        }

        var message = Redact(string.Join(" <- ", messages), values);
        if (failure is ApplicationFailureException application)
        {
            var details = application.Details.Count > 0 ? new object?[] { application.Details.ElementAt<string>(0) } : null;
            return new ApplicationFailureException(
                message, errorType: application.ErrorType, nonRetryable: application.NonRetryable, details: details,
                nextRetryDelay: application.NextRetryDelay, category: application.Category);
        }

        // A non-application exception is retried by Temporal under its type name; keep both.
        return new ApplicationFailureException(message, failure.GetType().Name, nonRetryable: false);
    }
}
