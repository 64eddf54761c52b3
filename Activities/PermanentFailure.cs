using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using Temporalio.Exceptions;

namespace AbandonedCart.Activities;

/// <summary>
/// Failures a retry cannot fix: PostgreSQL refusing the data itself (a cart total beyond <c>numeric(12,2)</c>, text it
/// cannot store, a violated check) and input or provider answers that cannot be read. Left retryable, Temporal would
/// repeat them for as long as the activity may run and hold the journey there. The message names the kind of problem
/// and the schema objects only, and the original exception is not attached: its text may quote the values, which may
/// be personal data and would reach workflow history.
/// </summary>
public static class PermanentFailure
{
    /// <summary>The error type of a failure made non-retryable here, for data PostgreSQL refused.</summary>
    public const string DataRejected = "DataRejected";

    /// <summary>The error type of a failure made non-retryable here, for input or an answer that cannot be read.</summary>
    public const string MalformedData = "MalformedData";

    /// <summary>The non-retryable failure <paramref name="exception"/> stands for, or null when a retry may still succeed.</summary>
    public static ApplicationFailureException? From(Exception exception) => exception switch
    {
        PostgresException { SqlState: var state } e when IsDataError(state) =>
            new($"PostgreSQL refused the data: {Describe(state)} (SQLSTATE {state}{Where(e)}).", DataRejected, nonRetryable: true),
        JsonException or FormatException or ArgumentException or OverflowException or InvalidCastException or CryptographicException =>
            new($"Unreadable data: {exception.GetType().Name}.", MalformedData, nonRetryable: true),
        _ => null,
    };

    // Class 22 is "data exception"; of class 23 only the checks that the same row fails again (a unique violation may be a race).
    private static bool IsDataError(string state) =>
        state.StartsWith("22", StringComparison.Ordinal) || state is PostgresErrorCodes.NotNullViolation or PostgresErrorCodes.CheckViolation;

    private static string Describe(string state) => state switch
    {
        PostgresErrorCodes.NumericValueOutOfRange => "a number is out of range for its column (numeric field overflow)",
        PostgresErrorCodes.StringDataRightTruncation => "a text is too long for its column",
        PostgresErrorCodes.UntranslatableCharacter or PostgresErrorCodes.CharacterNotInRepertoire => "a text holds characters PostgreSQL cannot store",
        PostgresErrorCodes.InvalidTextRepresentation => "a value has the wrong form for its column",
        PostgresErrorCodes.NotNullViolation => "a required value is missing",
        PostgresErrorCodes.CheckViolation => "a value breaks a check of the table",
        _ => "data exception",
    };

    // Table, column and constraint names are the schema's, never the customer's.
    private static string Where(PostgresException e)
    {
        var parts = new[] { e.TableName, e.ColumnName, e.ConstraintName }.Where(p => !string.IsNullOrEmpty(p)).ToList();
        return parts.Count == 0 ? string.Empty : $", {string.Join(".", parts)}";
    }
}
